"""Demo: where the portal is, and one synthetic citizen report to track (演示数据(合成))."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridgov.cases.enums import Channel
from gridgov.cases.models import Case
from gridgov.core.errors import DomainError
from gridgov.geo.models import Grid, Region
from gridgov.portal.enums import ReportKind
from gridgov.portal.services import CitizenReport, portal_report_submit

DEMO_PHONE = "13900000000"  # synthetic, like every demo reporter


def seed_demo(*, city: Region, now: datetime, out: Any, options: dict[str, Any]) -> list[str]:
    grid = Grid.objects.filter(code__startswith=city.prefix).defer("boundary").order_by("code").first()
    report = CitizenReport(
        kind=ReportKind.ISSUE,
        category_code="2001",
        text="演示数据(合成):小区东门口堆放建筑垃圾,影响通行",
        phone=DEMO_PHONE,
        lon=grid.centroid_lon if grid else None,
        lat=grid.centroid_lat if grid else None,
    )
    try:
        # A fixed key: running the demo again finds this report rather than making another.
        case, _ = portal_report_submit(
            report=report, photos=[], key="demo-portal-0001", ip="127.0.0.1", now=now
        )
    except DomainError as exc:
        return [f"市民端 /portal/ (演示报事未生成 / no demo report: {exc.message_zh})"]
    public = Case.objects.filter(channel=Channel.CITIZEN_APP, status__in=("closed", "archived")).count()
    return [
        f"市民端 / citizen portal: /portal/ — 进度查询:编号 {case.number} + 手机 {DEMO_PHONE};"
        f"处置公开 {public} 件(小程序渠道)",
    ]
