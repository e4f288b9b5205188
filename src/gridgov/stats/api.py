"""/api/v1/stats: the indicators and their breakdowns, scoped to the caller (docs/indicators.md).
Thin: parse the filters into a Scope and a Period, ask `indicators`, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.cases.enums import Channel
from gridgov.cases.models import Category
from gridgov.core.errors import NotFound
from gridgov.geo.models import Region
from gridgov.stats.indicators import (
    INDICATORS,
    LIGHT_REGION_FIELDS,
    Period,
    Scope,
    Value,
    breakdown,
    compute,
    today,
)

router = Router(tags=["stats"])


class Filters(Schema):
    region: str = Field("", max_length=15, description="区划代码; default: the caller's own region")
    department: int | None = Field(None, description="department id")
    category: str = Field(
        "", max_length=16, description="category code (a top-level one includes its children)"
    )
    channel: Channel | None = None
    start: date | None = Field(None, description="first day, YYYY-MM-DD (default: today)")
    end: date | None = Field(None, description="last day, included (default: start)")
    names: str = Field("", description="comma-separated indicator names (default: all)")


class BreakdownFilters(Filters):
    by: str = Field(..., description="region, channel, department, category or day")


def _scope(request: HttpRequest, f: Filters) -> Scope:
    region = None
    if f.region:
        region = Region.objects.only(*LIGHT_REGION_FIELDS).filter(code=f.region).first()
        if region is None:
            raise NotFound(f"区划不存在:{f.region}", f"no region {f.region}", code="region_not_found")
    category_id = None
    if f.category:
        category_id = Category.objects.filter(code=f.category).values_list("pk", flat=True).first()
        if category_id is None:
            raise NotFound(f"分类不存在:{f.category}", f"no category {f.category}", code="category_not_found")
    return Scope.for_user(
        request.user,
        region=region,
        department_id=f.department,
        category_id=category_id,
        channel=f.channel.value if f.channel else None,
    )


def _period(f: Filters) -> Period:
    start = f.start or (f.end if f.end else today())
    return Period(start, f.end or start)


def _names(f: Filters) -> list[str] | None:
    return [n.strip() for n in f.names.split(",") if n.strip()] or None


def value_out(name: str, v: Value) -> dict[str, Any]:
    ind = INDICATORS[name]
    return {
        "label": ind.label_zh,
        "label_en": ind.label_en,
        "unit": ind.unit,
        "value": v.value,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "yoy": v.yoy,
        "mom": v.mom,
    }


@router.get("/indicators")
def indicators(request: HttpRequest, f: Query[Filters]) -> dict[str, Any]:
    scope, period = _scope(request, f), _period(f)
    values = compute(scope=scope, period=period, names=_names(f))
    return {
        "scope": scope.describe(),
        "period": period.describe(),
        "indicators": {name: value_out(name, v) for name, v in values.items()},
    }


@router.get("/breakdown")
def breakdown_view(request: HttpRequest, f: Query[BreakdownFilters]) -> dict[str, Any]:
    scope, period = _scope(request, f), _period(f)
    rows = breakdown(scope=scope, period=period, by=f.by, names=_names(f))
    return {
        "scope": scope.describe(),
        "period": period.describe(),
        "by": f.by,
        "rows": [
            {"key": r.key, "label": r.label, "indicators": {n: value_out(n, v) for n, v in r.values.items()}}
            for r in rows
        ],
    }
