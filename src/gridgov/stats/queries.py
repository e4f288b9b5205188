"""Which summary table answers a question, and the one query that reads it.

- No filter beyond the region, grouped by nothing, region or day: the rollup totals of the
  region's code (its children's codes for a region breakdown): a row per code and day.
- One of channel / department / top-level category (as a filter or as the breakdown), in a
  region down to township level: the rollup of that dimension.
- Anything else (two dimensions at once, a leaf category, a community's breakdown by channel):
  the fine cells under the region's code prefix, an index range on (territory, day).
States (in progress, overdue now) come from the open cases' fact rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Cast, Substr

from gridgov.accounts.models import Department
from gridgov.cases.enums import Channel
from gridgov.cases.models import Category
from gridgov.core.codes import under
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region
from gridgov.stats.contribution import DIM_MAX_LENGTH
from gridgov.stats.indicators import Period, Scope
from gridgov.stats.models import COUNTERS, CaseFact, Cell, Dim, Rollup

Amounts = dict[str, float]
SUMS = {c: Sum(c) for c in COUNTERS}
NO_DEPARTMENT = "未派遣部门"


@dataclass(frozen=True)
class Context:
    """What one compute or breakdown call needs to know about its scope, read once."""

    scope: Scope
    category: tuple[int, bool, list[int]] | None
    children: dict[str, str]

    @classmethod
    def of(cls, scope: Scope, *, with_children: bool = False) -> Context:
        return cls(scope, _category(scope), children(scope) if with_children else {})


def _category(scope: Scope) -> tuple[int, bool, list[int]] | None:
    """(id, is top level, ids it covers) of the scope's category."""
    if scope.category_id is None:
        return None
    parent = Category.objects.filter(pk=scope.category_id).values_list("parent_id", flat=True).first()
    if parent is None:
        ids = [
            scope.category_id,
            *Category.objects.filter(parent_id=scope.category_id).values_list("pk", flat=True),
        ]
        return scope.category_id, True, ids
    return scope.category_id, False, [scope.category_id]


def children(scope: Scope) -> dict[str, str]:
    """Code → name of the scope region's children: grids under a community."""
    region = scope.region
    if region.level == RegionLevel.COMMUNITY:
        return dict(Grid.objects.filter(community=region).values_list("code", "name"))
    return dict(Region.objects.filter(parent=region).values_list("prefix", "name"))


def _filter_dims(ctx: Context) -> dict[str, str]:
    scope = ctx.scope
    dims: dict[str, str] = {}
    if scope.department_id is not None:
        dims[Dim.DEPARTMENT] = str(scope.department_id)
    if scope.channel is not None:
        dims[Dim.CHANNEL] = scope.channel
    cat = ctx.category
    if cat is not None:
        dims[Dim.CATEGORY] = str(cat[0]) if cat[1] else "leaf"
    return dims


def _rollup(ctx: Context, period: Period, by: str | None) -> QuerySet[Rollup] | None:
    """The rollup rows that answer, or None when only the fine cells can."""
    prefix = ctx.scope.region.prefix
    dims = _filter_dims(ctx)
    wanted = dict(dims)
    if by in (Dim.CHANNEL, Dim.DEPARTMENT, Dim.CATEGORY):
        if by in wanted:
            return None
        wanted[by] = ""
    if "leaf" in wanted.values() or len(wanted) > 1:
        return None
    qs = Rollup.objects.filter(day__range=(period.start, period.end))
    if not wanted:
        codes = list(ctx.children) if by == "region" else [prefix]
        return qs.filter(dim="", key="", code__in=codes)
    ((dim, key),) = wanted.items()
    if by == "region":
        # One filter by child region: the children's rollups of that dimension, when kept.
        if any(len(code) > DIM_MAX_LENGTH for code in ctx.children):
            return None
        return qs.filter(code__in=list(ctx.children), dim=dim, key=key)
    if len(prefix) > DIM_MAX_LENGTH:
        return None
    qs = qs.filter(code=prefix, dim=dim)
    return qs.filter(key=key) if key else qs


def _cells(ctx: Context, period: Period) -> QuerySet[Cell]:
    scope = ctx.scope
    qs = Cell.objects.filter(under("territory", scope.region.prefix), day__range=(period.start, period.end))
    if scope.department_id is not None:
        qs = qs.filter(department_id=scope.department_id)
    if scope.channel is not None:
        qs = qs.filter(channel=scope.channel)
    cat = ctx.category
    if cat is not None:
        qs = qs.filter(category_id__in=cat[2])
    return qs


def _child_length(ctx: Context) -> int:
    return max((len(c) for c in ctx.children), default=len(ctx.scope.region.prefix))


def _clean(row: dict[str, Any]) -> Amounts:
    return {c: row[c] for c in COUNTERS if row.get(c)}


def totals(ctx: Context, period: Period) -> Amounts:
    rollup = _rollup(ctx, period, None)
    qs: Any = rollup if rollup is not None else _cells(ctx, period)
    return _clean(qs.aggregate(**SUMS))


def grouped(ctx: Context, period: Period, by: str) -> dict[str, Amounts]:
    rollup = _rollup(ctx, period, by)
    if rollup is not None:
        field = {"region": "code", "day": "day"}.get(by, "key")
        rows = rollup.values(field).annotate(**SUMS)
    else:
        qs: Any = _cells(ctx, period)
        field = "k"
        if by == "region":
            qs = qs.annotate(k=Substr("territory", 1, _child_length(ctx)))
        elif by == "day":
            field = "day"
        elif by == "category":
            # A top-level category collects its children.
            return _by_top_category(qs)
        else:
            qs = qs.annotate(k=Cast({"department": "department_id", "channel": "channel"}[by], CharField()))
        rows = qs.values(field).annotate(**SUMS)
    out: dict[str, Amounts] = {}
    keep = set(ctx.children) if by == "region" else None
    for row in rows:
        key = row[field]
        key = key.isoformat() if hasattr(key, "isoformat") else str(key)
        if keep is not None and key not in keep:
            continue  # cases placed on the region itself, not on any child
        out[key] = _clean(row)
    return out


def _by_top_category(qs: Any) -> dict[str, Amounts]:
    top = dict(Category.objects.values_list("pk", "parent_id"))
    out: dict[str, Amounts] = {}
    for row in qs.values("category_id").annotate(**SUMS):
        key = str(top.get(row["category_id"]) or row["category_id"])
        into = out.setdefault(key, {})
        for c, v in _clean(row).items():
            into[c] = into.get(c, 0) + v
    return out


def states(ctx: Context, end: Any, *, by: str | None) -> dict[str, Amounts]:
    """In progress and overdue now, of the cases received by `end`, keyed by the breakdown
    (one key "" without)."""
    scope = ctx.scope
    qs: Any = CaseFact.objects.filter(
        under("territory", scope.region.prefix), is_open=True, received_day__lte=end
    )
    if scope.department_id is not None:
        qs = qs.filter(department_id=scope.department_id)
    if scope.channel is not None:
        qs = qs.filter(channel=scope.channel)
    cat = ctx.category
    if cat is not None:
        qs = qs.filter(top_category_id=cat[0]) if cat[1] else qs.filter(category_id=cat[0])
    agg = {"in_progress": Count("case_id"), "overdue": Count("case_id", filter=Q(overdue=True))}
    if by is None:
        return {"": qs.aggregate(**agg)}
    field = {
        "region": "k", "channel": "channel", "department": "department_id",
        "category": "top_category_id", "day": "received_day",
    }[by]  # fmt: skip
    if by == "region":
        qs = qs.annotate(k=Substr("territory", 1, _child_length(ctx)))
    keep = set(ctx.children) if by == "region" else None
    out = {}
    for row in qs.values(field).annotate(**agg):
        key = row[field]
        key = key.isoformat() if hasattr(key, "isoformat") else str(key)
        if keep is None or key in keep:
            out[key] = {"in_progress": row["in_progress"], "overdue": row["overdue"]}
    return out


def labels(ctx: Context, by: str, keys: set[str]) -> dict[str, str]:
    """Names for the breakdown's keys; for regions every child, so empty ones show too."""
    if by == "region":
        return ctx.children
    if by == "channel":
        return {k: str(Channel(k).label) for k in keys if k in Channel.values}
    if by == "department":
        ids = [int(k) for k in keys if k.isdigit() and k != "0"]
        names = {
            str(pk): name for pk, name in Department.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        return {**names, **({"0": NO_DEPARTMENT} if "0" in keys else {})}
    if by == "category":
        ids = [int(k) for k in keys if k.isdigit()]
        return {str(pk): name for pk, name in Category.objects.filter(pk__in=ids).values_list("pk", "name")}
    return {k: k for k in keys}
