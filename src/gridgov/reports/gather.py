"""The figures a report is written from, gathered once and frozen into the version.

Every indicator comes from `gridgov.stats.indicators` (compute / breakdown), the same code the
big screen reads, so a report and the screen never disagree. Two lists are not indicators and
are read from the cases themselves, limited to the report's region subtree: the places where
cases repeat in the period, and the overdue list with case numbers (the very cases the
`overdue` indicator counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.geo.models import Region
from gridgov.reports.enums import ReportKind
from gridgov.reports.periods import period_label, previous_label
from gridgov.sla.enums import Colour
from gridgov.stats.indicators import INDICATORS, Period, Scope, Value, breakdown, compute

# The indicator summary, in the order the table shows it.
SUMMARY = (
    "intake",
    "closed",
    "in_progress",
    "overdue",
    "on_time_handling_rate",
    "closure_rate",
    "on_time_closure_rate",
    "satisfaction_rate",
    "redo_rate",
    "avg_hours_to_accept",
    "avg_hours_to_dispatch",
    "avg_hours_to_close",
    "self_handled_rate",
)
# The columns of the region and department rankings.
RANKED = ("intake", "closed", "overdue", "on_time_handling_rate", "closure_rate", "satisfaction_rate")
# What the rankings sort by (worst first): the on-time handling rate.
RANK_BY = "on_time_handling_rate"
CATEGORY_COLS = ("intake", "closed", "overdue")
TREND_COLS = ("intake", "closed")
PLACES_MAX = 10
NO_DEPARTMENT_KEY = "0"
OVERDUE_MAX = 200

Progress = Callable[[int, str], None]


def _value(v: Value | None) -> dict[str, Any]:
    if v is None:
        return {"value": None, "numerator": 0, "denominator": None, "yoy": None, "mom": None}
    return {
        "value": v.value,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "yoy": v.yoy,
        "mom": v.mom,
    }


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _rows(scope: Scope, period: Period, by: str, names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"key": r.key, "label": r.label, "values": {n: _value(r.values.get(n)) for n in names}}
        for r in breakdown(scope=scope, period=period, by=by, names=list(names))
    ]


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst on-time handling rate first; rows without any case due (rate undefined) last, and
    among equals the one with more overdue cases first."""

    def key(r: dict[str, Any]) -> tuple[int, float, float, str]:
        rate = r["values"][RANK_BY]["value"]
        return (
            rate is None,
            rate if rate is not None else 0.0,
            -r["values"]["overdue"]["numerator"],
            r["key"],
        )

    active = [r for r in rows if r["values"]["intake"]["numerator"] or r["values"]["overdue"]["numerator"]]
    return sorted(active, key=key)


def places_repeating(region: Region, period: Period) -> list[dict[str, Any]]:
    """Grids with two or more cases in the period, most first, with their leading category."""
    start, end = _start_of(period.start), _start_of(period.end + timedelta(days=1))
    cases = Case.objects.filter(
        territory_code__startswith=region.prefix,
        created_at__gte=start,
        created_at__lt=end,
        grid__isnull=False,
    )
    top = list(
        cases.values("grid_id", "grid__code", "grid__name")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .order_by("-n", "grid__code")[:PLACES_MAX]
    )
    out = []
    for row in top:
        lead = (
            cases.filter(grid_id=row["grid_id"])
            .values("category__parent__name", "category__name")
            .annotate(n=Count("id"))
            .order_by("-n", "category__name")
            .first()
        )
        category = (lead["category__parent__name"] or lead["category__name"]) if lead else ""
        out.append(
            {"code": row["grid__code"], "name": row["grid__name"], "count": row["n"], "category": category}
        )
    return out


def overdue_list(region: Region, period: Period, now: datetime) -> list[dict[str, Any]]:
    """The cases the `overdue` indicator counts, by number: open now, past their deadline (red)
    and registered by the end of the period, in the region's subtree; longest overdue first."""
    end = _start_of(period.end + timedelta(days=1))
    qs = (
        Case.objects.filter(
            territory_code__startswith=region.prefix, is_open=True, colour=Colour.RED, created_at__lt=end
        )
        .select_related("category", "region", "owner_center", "owner_department")
        .defer("region__boundary")
        .order_by("due_at", "number")
    )
    out = []
    for c in qs[:OVERDUE_MAX]:
        owner = c.owner_department.name if c.owner_department else ""
        if not owner and c.owner_center:
            owner = c.owner_center.name
        late = (now - c.due_at).total_seconds() / 86400 if c.due_at else 0.0
        out.append(
            {
                "number": c.number,
                "title": c.title,
                "category": c.category.name,
                "region": c.region.name,
                "owner": owner,
                "status": c.get_status_display(),
                "due_at": timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M") if c.due_at else "",
                "days_late": round(max(late, 0.0), 1),
            }
        )
    return out


def gather(
    *, kind: str, region: Region, period: Period, now: datetime, progress: Progress | None = None
) -> dict[str, Any]:
    step = progress or (lambda pct, note: None)
    scope = Scope(region=region)
    step(10, "汇总指标")
    current = compute(scope=scope, period=period, names=list(SUMMARY))
    previous = compute(scope=scope, period=period.previous(), names=list(SUMMARY))
    year_ago = compute(scope=scope, period=period.year_ago(), names=list(SUMMARY))
    indicators = []
    for name in SUMMARY:
        ind = INDICATORS[name]
        indicators.append(
            {
                "name": name,
                "label": ind.label_zh,
                "unit": ind.unit,
                "higher_is_better": ind.higher_is_better,
                **_value(current.get(name)),
                # A state (in progress, overdue) is today's state, not a flow of the period: the
                # earlier periods' "value" would be today's state of older cases, so none is shown.
                "previous": None if ind.state else _value(previous.get(name))["value"],
                "year_ago": None if ind.state else _value(year_ago.get(name))["value"],
            }
        )
    step(30, "区域与部门排名")
    regions = ranked(_rows(scope, period, "region", RANKED))
    # Key "0" gathers the cases no department holds (still with a centre): not a department.
    departments = ranked(
        [r for r in _rows(scope, period, "department", RANKED) if r["key"] != NO_DEPARTMENT_KEY]
    )
    step(45, "类别与趋势")
    categories = _rows(scope, period, "category", CATEGORY_COLS)
    categories = sorted(
        (c for c in categories if c["values"]["intake"]["numerator"]),
        key=lambda c: (-c["values"]["intake"]["numerator"], c["key"]),
    )
    days = _rows(scope, period, "day", TREND_COLS) if kind != ReportKind.DAILY else []
    step(55, "重复地点与超期清单")
    places = places_repeating(region, period)
    overdue = overdue_list(region, period, now)
    return {
        "kind": kind,
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "period_label": period_label(kind, period.start, period.end),
        "previous_label": previous_label(kind),
        "generated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        # The overdue indicator and list are a state at generation time, not a flow of the period.
        "overdue_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "indicators": indicators,
        "regions": regions,
        "departments": departments,
        "categories": categories,
        "days": days,
        "places": places,
        "overdue": overdue,
    }
