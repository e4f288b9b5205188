"""/api/v1/reports: bulletins. Thin: validate the shape, leave the rules to the services, read
through the selectors. Downloads (DOCX/PDF/XLSX, chart PNGs) are the page URLs listed in each
version's `downloads`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from gridgov.accounts.scope import region_root_for
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.geo.models import Region
from gridgov.reports import selectors
from gridgov.reports.access import may_edit
from gridgov.reports.enums import GenerationStatus, ReportKind
from gridgov.reports.models import Report, ReportVersion
from gridgov.reports.periods import last_complete
from gridgov.reports.present import FORMATS, download, png_response
from gridgov.reports.services import report_edit, report_publish, report_request

router = Router(tags=["reports"])
MAX_PAGE = 100


class Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReportIn(Strict):
    kind: ReportKind
    region: str = Field("", max_length=12, description="region code; default: the caller's own region")
    day: date | None = Field(None, description="any day of the period; default: the last complete period")
    regenerate: bool = False


class EditIn(Strict):
    base_version: int = Field(..., ge=1)
    sections: dict[str, str] = Field(..., min_length=1, max_length=20)


class PublishIn(Strict):
    base_version: int = Field(..., ge=1)


class ListQuery(Schema):
    kind: ReportKind | None = None
    region: str = Field("", max_length=12)
    status: GenerationStatus | None = None
    page: int = Field(1, ge=1)
    size: int = Field(20, ge=1, le=MAX_PAGE)


def report_out(b: Report, user: Any) -> dict[str, Any]:
    # From the prefetched versions when the list prefetched them (no query per row).
    latest = max(b.versions.all(), key=lambda v: v.number, default=None)
    return {
        "id": b.pk,
        "kind": b.kind,
        "kind_label": b.get_kind_display(),
        "region": {"code": b.region.code, "name": b.region.name, "level": b.region.level},
        "period": {"start": b.period_start.isoformat(), "end": b.period_end.isoformat()},
        "status": b.status,
        "status_label": b.get_status_display(),
        "progress": b.progress,
        "progress_note": b.progress_note,
        "error": b.error,
        "latest_version": latest.number if latest else None,
        "latest_state": latest.state if latest else None,
        "may_edit": may_edit(user, b.region),
        "url": reverse("reports:detail", args=[b.pk]),
        "updated_at": b.updated_at.isoformat(),
    }


def version_out(b: Report, v: ReportVersion) -> dict[str, Any]:
    base = reverse("reports:detail", args=[b.pk])
    api_base = f"/api/v1/reports/bulletins/{b.pk}/versions/{v.number}"
    return {
        "number": v.number,
        "state": v.state,
        "generated_at": v.generated_at.isoformat(),
        "edited_at": v.edited_at.isoformat() if v.edited_at else None,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "sections": v.sections,
        "data": v.data,
        "charts": [
            {"key": c.key, "title": c.title, "url": f"{api_base}/charts/{c.key}"}
            for c in v.charts.all().only("key", "title")
        ],
        "downloads": {fmt: f"{api_base}/download/{fmt}" for fmt in FORMATS},
        "page": f"{base}?v={v.number}",
    }


def _region(user: Any, code: str) -> Region:
    if not code:
        region = region_root_for(user)
        if region is None:
            raise NotFound("没有可生成简报的区域", "no region in your scope", code="region_not_found")
        return region
    region = Region.objects.defer("boundary").filter(code=code).first()
    if region is None:
        raise NotFound(f"区划 {code} 不存在", f"region {code} not found", code="region_not_found")
    return region


@router.get("/bulletins")
def list_reports(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    qs = selectors.reports_for(
        request.user, kind=q.kind or "", region_code=q.region, status=q.status or ""
    ).prefetch_related("versions")
    total = qs.count()
    rows = qs[(q.page - 1) * q.size : q.page * q.size]
    return {"count": total, "page": q.page, "results": [report_out(b, request.user) for b in rows]}


@router.post("/bulletins", response={200: dict, 202: dict})
def request_report(request: HttpRequest, body: ReportIn) -> Any:
    now = clock.now()
    region = _region(request.user, body.region)
    day = body.day
    if day is None:
        day = last_complete(body.kind, timezone.localdate(now)).start
    b, queued = report_request(
        actor=request.user, kind=body.kind, region=region, day=day, now=now, regenerate=body.regenerate
    )
    b.refresh_from_db()
    return Status(202 if queued else 200, report_out(b, request.user))


@router.get("/bulletins/{report_id}")
def get_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    b = selectors.report_get_for(request.user, report_id)
    out = report_out(b, request.user)
    out["versions"] = [
        {"number": v.number, "state": v.state, "published_at": v.published_at, "edited_at": v.edited_at}
        for v in selectors.versions_of(b)
    ]
    return out


@router.get("/bulletins/{report_id}/versions/{number}")
def get_version(request: HttpRequest, report_id: int, number: int) -> dict[str, Any]:
    b = selectors.report_get_for(request.user, report_id)
    return version_out(b, selectors.version_get(b, number))


@router.put("/bulletins/{report_id}/sections")
def edit_sections(request: HttpRequest, report_id: int, body: EditIn) -> dict[str, Any]:
    b = selectors.report_get_for(request.user, report_id)
    v = report_edit(
        actor=request.user, report=b, sections=body.sections, base=body.base_version, now=clock.now()
    )
    return version_out(b, v)


@router.post("/bulletins/{report_id}/publish")
def publish(request: HttpRequest, report_id: int, body: PublishIn) -> dict[str, Any]:
    b = selectors.report_get_for(request.user, report_id)
    v = report_publish(actor=request.user, report=b, base=body.base_version, now=clock.now())
    return version_out(b, v)


@router.get("/bulletins/{report_id}/versions/{number}/download/{fmt}")
def download_version(request: HttpRequest, report_id: int, number: int, fmt: str) -> HttpResponse:
    b = selectors.report_get_for(request.user, report_id)
    if fmt not in FORMATS:
        raise NotFound(
            f"不支持的格式:{fmt}(可选 docx、pdf、xlsx)", f"unknown format {fmt!r}", code="format_unknown"
        )
    return download(b, selectors.version_get(b, number), fmt)


@router.get("/bulletins/{report_id}/versions/{number}/charts/{key}")
def chart_png(request: HttpRequest, report_id: int, number: int, key: str) -> HttpResponse:
    b = selectors.report_get_for(request.user, report_id)
    return png_response(selectors.chart_png(b, number, key))
