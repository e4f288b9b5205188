"""Reading bulletins, through the user's scope (access.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.scope import region_root_for
from gridgov.core.errors import NotFound
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region
from gridgov.reports.access import prefix_for
from gridgov.reports.models import Report, ReportChart, ReportVersion


def reports_for(user: Any, *, kind: str = "", region_code: str = "", status: str = "") -> QuerySet[Report]:
    prefix = prefix_for(user)
    if prefix is None:
        return Report.objects.none()
    qs = (
        Report.objects.filter(region__code__startswith=prefix)
        .select_related("region")
        .defer("region__boundary")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if region_code:
        qs = qs.filter(region__code=region_code)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-period_start", "kind", "region__code", "id")


def report_get_for(user: Any, pk: int) -> Report:
    b = reports_for(user).filter(pk=pk).first()
    if b is None:
        # The same answer for "none" and "not yours": ids must not reveal other regions' work.
        raise NotFound(f"简报 {pk} 不存在或无权查看", f"report {pk} not found", code="report_not_found")
    return b


def versions_of(report: Report) -> list[ReportVersion]:
    return list(report.versions.select_related("edited_by", "published_by").order_by("-number"))


def version_get(report: Report, number: int | None = None) -> ReportVersion:
    """A version by number; without one, the latest."""
    qs = report.versions.order_by("-number")
    v = qs.filter(number=number).first() if number is not None else qs.first()
    if v is None:
        raise NotFound(
            "该简报尚无此版本" if number is not None else "该简报尚未生成",
            f"report {report.pk} has no version {number or ''}".strip(),
            code="version_not_found",
        )
    return v


def regions_for_generation(user: Any) -> QuerySet[Region]:
    """Regions the form offers: the user's own region and two levels below it (a city centre
    picks the city, a county or a township; a township its communities too). Any region of the
    subtree can still be asked for by code through the API."""
    prefix = prefix_for(user)
    root = region_root_for(user)
    if prefix is None or root is None:
        return Region.objects.none()
    order = list(RegionLevel)
    at = order.index(RegionLevel(root.level))
    levels = [lv.value for lv in order[at : at + 3]]
    return (
        Region.objects.filter(code__startswith=prefix, level__in=levels)
        .only("id", "code", "name", "level", "parent_id")
        .order_by("code")
    )


def chart_png(report: Report, number: int, key: str) -> bytes:
    png = (
        ReportChart.objects.filter(version__report=report, version__number=number, key=key)
        .values_list("png", flat=True)
        .first()
    )
    if png is None:
        raise NotFound("没有这张图", f"no chart {key!r} in version {number}", code="chart_not_found")
    return bytes(png)
