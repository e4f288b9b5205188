"""Writers of bulletins: ask for one, generate it (in the worker), edit, publish.

Idempotent per (kind, region, period): asking again returns the report already there, queued,
running or done; only `regenerate` (fresh figures) or a failed run queues it again, and then the
run writes the next version. Versions are never changed once published: editing a published
version writes a new draft version that carries the same frozen figures and charts.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gridgov.core.errors import Conflict, InvalidInput
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region
from gridgov.reports import charts, writer
from gridgov.reports.access import check_edit, check_generate
from gridgov.reports.enums import GenerationStatus, ReportKind, VersionState
from gridgov.reports.gather import gather
from gridgov.reports.models import Report, ReportChart, ReportVersion
from gridgov.reports.periods import last_complete, period_of
from gridgov.stats.indicators import Period

log = logging.getLogger("gridgov.reports")

SECTION_MAX = 20_000
# The regions the schedule writes bulletins for (the brief: every county and the city).
SCHEDULED_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY)


def _kind(kind: str) -> ReportKind:
    try:
        return ReportKind(kind)
    except ValueError:
        raise InvalidInput(
            f"未知的简报类型“{kind}”(可选:daily 日报、weekly 周报、monthly 月通报、quarterly 季问效)",
            f"unknown report kind {kind!r}",
        ) from None


def _enqueue(report_id: int) -> None:
    from gridgov.reports.tasks import generate_report

    transaction.on_commit(lambda: generate_report.enqueue(report_id))


def report_request(
    *, actor: Any, kind: str, region: Region, day: date, now: datetime, regenerate: bool = False
) -> tuple[Report, bool]:
    """The report of `kind` for `region` over the period holding `day`, queued for generation
    when it is new, failed, or asked to be regenerated. Returns (report, queued now).
    `actor` None is the schedule."""
    k = _kind(kind)
    if actor is not None:
        check_generate(actor, region)
    period = period_of(k, day)
    if period.start > timezone.localdate(now):
        raise InvalidInput(
            "不能为尚未开始的时段生成简报", "that period has not started yet", code="future_period"
        )
    with transaction.atomic():
        b, created = Report.objects.select_for_update().get_or_create(
            kind=k,
            region=region,
            period_start=period.start,
            defaults={
                "period_end": period.end,
                "requested_by": actor,
                "created_at": now,
                "updated_at": now,
            },
        )
        queue = created
        if not created and (
            b.status == GenerationStatus.FAILED or (regenerate and b.status == GenerationStatus.READY)
        ):
            b.status, b.progress, b.progress_note, b.error = GenerationStatus.QUEUED, 0, "", ""
            b.regenerate = b.versions.exists()
            b.requested_by = actor or b.requested_by
            b.updated_at = now
            b.save()
            queue = True
        if queue:
            _enqueue(b.pk)
    return b, queue


def _progress(report_id: int, pct: int, note: str) -> None:
    # Its own small write, committed at once, so the page polling the status sees it move.
    Report.objects.filter(pk=report_id).update(progress=pct, progress_note=note[:100])


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Figures may arrive as Decimal from a database aggregate; the version stores plain JSON.
    result: dict[str, Any] = json.loads(json.dumps(data, default=float))
    return result


def report_generate(*, report_id: int, now: datetime) -> ReportVersion | None:
    """Gather, write and draw one report; store it as its next version. Returns None when
    there was nothing to do (already generated, or gone)."""
    with transaction.atomic():
        b = Report.objects.select_for_update().select_related("region").filter(pk=report_id).first()
        if b is None:
            return None
        if b.status == GenerationStatus.READY and not b.regenerate and b.versions.exists():
            return None
        # RUNNING too: a worker that died mid-run had its task handed back; run it again.
        b.status, b.progress, b.progress_note, b.error = GenerationStatus.RUNNING, 5, "开始生成", ""
        b.updated_at = now
        b.save(update_fields=["status", "progress", "progress_note", "error", "updated_at"])
    pk = b.pk
    try:
        period = Period(start=b.period_start, end=b.period_end)
        data = _jsonable(
            gather(
                kind=b.kind,
                region=b.region,
                period=period,
                now=now,
                progress=lambda pct, note: _progress(pk, pct, note),
            )
        )
        _progress(pk, 65, "撰写正文")
        sections = writer.write(data)
        _progress(pk, 75, "绘制图表")
        drawn = charts.draw(data)
        _progress(pk, 95, "保存")
        with transaction.atomic():
            b = Report.objects.select_for_update().get(pk=report_id)
            number = (b.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ReportVersion.objects.create(
                report=b, number=number, data=data, sections=sections, generated_at=now
            )
            ReportChart.objects.bulk_create(
                ReportChart(version=version, key=c.key, title=c.title, png=c.png, position=i)
                for i, c in enumerate(drawn)
            )
            b.status, b.progress, b.progress_note, b.regenerate = GenerationStatus.READY, 100, "", False
            b.updated_at = now
            b.save(update_fields=["status", "progress", "progress_note", "regenerate", "updated_at"])
        return version
    except Exception as exc:
        log.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).update(
            status=GenerationStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=now
        )
        raise


def _latest(b: Report) -> ReportVersion:
    v = b.versions.select_for_update().order_by("-number").first()
    if v is None:
        raise Conflict(
            "简报尚未生成,不能编辑或发布", "the report has not been generated yet", code="not_generated"
        )
    return v


def _check_base(latest: ReportVersion, base: int) -> None:
    if latest.number != base:
        raise Conflict(
            f"该简报已有更新的版本(第 {latest.number} 版),请刷新后再操作",
            f"version {base} is not the latest ({latest.number}); reload",
            code="stale_version",
        )


def report_edit(
    *, actor: Any, report: Report, sections: dict[str, str], base: int, now: datetime
) -> ReportVersion:
    """Change the text of sections (by key). On a draft the draft changes; on a published
    version a new draft version is written (the published one stays as it was)."""
    check_edit(actor, report.region)
    cleaned = {k: (v or "").strip() for k, v in sections.items()}
    for key, text in cleaned.items():
        if not text:
            raise InvalidInput("正文不能为空", f"section {key} is empty", code="empty_section", section=key)
        if len(text) > SECTION_MAX:
            raise InvalidInput(
                f"正文过长(每节最多 {SECTION_MAX} 字)", f"section {key} is too long", code="section_too_long"
            )
    with transaction.atomic():
        b = Report.objects.select_for_update().get(pk=report.pk)
        latest = _latest(b)
        _check_base(latest, base)
        known = {s["key"] for s in latest.sections}
        unknown = sorted(set(cleaned) - known)
        if unknown:
            raise InvalidInput(
                f"简报没有这些章节:{'、'.join(unknown)}",
                f"unknown sections: {', '.join(unknown)}",
                code="unknown_section",
            )
        merged = [{**s, "text": cleaned.get(s["key"], s["text"])} for s in latest.sections]
        if merged == latest.sections:
            return latest
        if latest.state == VersionState.DRAFT:
            latest.sections, latest.edited_by, latest.edited_at = merged, actor, now
            latest.save(update_fields=["sections", "edited_by", "edited_at"])
            version = latest
        else:
            version = ReportVersion.objects.create(
                report=b,
                number=latest.number + 1,
                data=latest.data,
                sections=merged,
                generated_at=latest.generated_at,
                edited_by=actor,
                edited_at=now,
            )
            ReportChart.objects.bulk_create(
                ReportChart(version=version, key=c.key, title=c.title, png=c.png, position=c.position)
                for c in latest.charts.all()
            )
        b.updated_at = now
        b.save(update_fields=["updated_at"])
    return version


def report_publish(*, actor: Any, report: Report, base: int, now: datetime) -> ReportVersion:
    """Freeze the latest version (a draft) as published."""
    check_edit(actor, report.region)
    with transaction.atomic():
        b = Report.objects.select_for_update().get(pk=report.pk)
        latest = _latest(b)
        _check_base(latest, base)
        if latest.state == VersionState.PUBLISHED:
            raise Conflict(
                f"第 {latest.number} 版已经发布",
                f"version {latest.number} is already published",
                code="already_published",
            )
        latest.state, latest.published_by, latest.published_at = VersionState.PUBLISHED, actor, now
        latest.save(update_fields=["state", "published_by", "published_at"])
        b.updated_at = now
        b.save(update_fields=["updated_at"])
    return latest


def reports_schedule(*, now: datetime) -> list[int]:
    """Queue the bulletins the calendar says are due and not there yet: yesterday's daily
    report, last week's weekly analysis (due from Monday), last month's report (from the 1st),
    last quarter's review, for the city and every county. Returns the ids queued now."""
    today = timezone.localdate(now)
    regions = list(Region.objects.filter(level__in=SCHEDULED_LEVELS).defer("boundary").order_by("code"))
    queued = []
    for kind in ReportKind:
        period = last_complete(kind, today)
        for region in regions:
            b, queued_now = report_request(actor=None, kind=kind, region=region, day=period.start, now=now)
            if queued_now:
                queued.append(b.pk)
    return queued
