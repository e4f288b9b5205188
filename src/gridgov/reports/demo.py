"""Demo bulletins: the last complete daily report, weekly analysis and monthly report of the
city and of its first county, generated from the demo cases (演示数据(合成)) through the
services, in-process so they are there when the server starts. Idempotent: a report already
generated is left as it is. The worker's schedule writes the rest (docs/bulletins.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region
from gridgov.reports.enums import GenerationStatus, ReportKind
from gridgov.reports.periods import last_complete
from gridgov.reports.services import report_generate, report_request

DEMO_KINDS = (ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY)


def seed_demo(*, city: Region, now: datetime, out: Any = None, options: Any = None) -> list[str]:
    from gridgov.stats.services import stats_refresh

    stats_refresh()  # the summaries must have read every demo case's events first
    county = (
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=city.prefix).order_by("code").first()
    )
    regions = [r for r in (city, county) if r is not None]
    today = timezone.localdate(now)
    made = 0
    for kind in DEMO_KINDS:
        for region in regions:
            b, _ = report_request(
                actor=None, kind=kind, region=region, day=last_complete(kind, today).start, now=now
            )
            if b.status != GenerationStatus.READY:
                report_generate(report_id=b.pk, now=now)
                made += 1
    if out is not None and made:
        out.write(f"简报通报 / bulletins: {made} generated")
    names = "、".join(r.name for r in regions)
    return [f"简报通报 / bulletins: /bulletins/ ({names}的日报、周报、月通报;演示数据(合成))"]
