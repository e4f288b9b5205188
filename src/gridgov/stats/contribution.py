"""What one case adds to the summary tables, as a pure function of its stored fields.

The incremental reader (services.stats_refresh) and the from-scratch recount (services.recount,
used by `stats rebuild` and `stats verify`) both call `contribution`, so they can only disagree
when the reader missed or misapplied a change. The rules are docs/indicators.md, "Counters".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone

from gridgov.cases.enums import CaseAction, CaseStatus, Rating
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.core import clock
from gridgov.geo.enums import RegionLevel
from gridgov.sla.enums import Colour
from gridgov.stats.recent import recent_of, recent_since

# After these a case never changes what it counts for (a merged report's later closure with
# its parent is not counted: the parent's closure is), so its fact row is dropped.
STATS_FINAL = frozenset({CaseStatus.REJECTED, CaseStatus.ARCHIVED, CaseStatus.MERGED})
# Counted for intake only: not a matter of its own to close.
INTAKE_ONLY = frozenset({CaseStatus.REJECTED, CaseStatus.MERGED})
SATISFIED = frozenset({Rating.SATISFIED, Rating.BASICALLY_SATISFIED})
# Prefix lengths of the region levels (province, city, county, township, community) and grids.
PREFIX_LENGTHS = (2, 4, 6, 9, 12, 15)
# Rollups by channel, department and category are kept down to township level; below it the
# fine cells of one community are few enough to sum directly.
DIM_MAX_LENGTH = 9

CASE_FIELDS = (
    "id", "territory_code", "owner_department_id", "category_id", "channel", "status", "is_open",
    "colour", "level", "rating", "redo_count", "created_at", "accepted_at", "finished_at",
    "closed_at", "finish_due_at", "feedback_due_at", "title", "description", "lat", "lon",
)  # fmt: skip

Days = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Dims:
    territory: str
    department_id: int
    category_id: int
    top_category_id: int
    channel: str


@dataclass(frozen=True)
class Contribution:
    dims: Dims
    days: Days
    received_day: date
    is_open: bool
    overdue: bool
    final: bool
    # Its part of the recent counts (stats.recent), on `received_day`: empty before the kept days.
    words: tuple[str, ...] = ()
    cell: str = ""


def local_day(dt: datetime) -> date:
    return timezone.localtime(dt).date()


def _add(days: Days, when: datetime | date, **amounts: int) -> None:
    key = (when if isinstance(when, date) and not isinstance(when, datetime) else local_day(when)).isoformat()
    row = days.setdefault(key, {})
    for name, amount in amounts.items():
        if amount:
            row[name] = row.get(name, 0) + amount


def _seconds(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds()))


def contribution(row: dict[str, Any], *, top: dict[int, int], first_dispatch: datetime | None,
                 last_rating: datetime | None, since: date) -> Contribution:  # fmt: skip
    """`row` holds CASE_FIELDS; `top` maps a category id to its top-level category's id;
    `since` is the first day the recent counts keep."""
    status = row["status"]
    days: Days = {}
    created: datetime = row["created_at"]
    _add(days, created, intake=1)
    if status not in INTAKE_ONLY:
        if row["accepted_at"]:
            _add(
                days, row["accepted_at"], accept_count=1, accept_seconds=_seconds(created, row["accepted_at"])
            )
        if first_dispatch:
            _add(days, first_dispatch, dispatch_count=1, dispatch_seconds=_seconds(created, first_dispatch))
        finish_due, finished, closed = row["finish_due_at"], row["finished_at"], row["closed_at"]
        handled_on_time = bool(finished and (finish_due is None or finished <= finish_due))
        if finished:
            _add(days, finished, handled=1, handled_on_time=int(handled_on_time))
        if closed:
            on_time = handled_on_time and (row["feedback_due_at"] is None or closed <= row["feedback_due_at"])
            _add(
                days,
                closed,
                closed=1,
                close_seconds=_seconds(created, closed),
                closed_redone=int(row["redo_count"] > 0),
                closed_self=int(row["level"] == RegionLevel.COMMUNITY),
            )
            due_day = min(local_day(closed), local_day(finish_due)) if finish_due else local_day(closed)
            _add(days, due_day, due=1, due_closed=1, due_closed_on_time=int(on_time))
        elif finish_due:
            _add(days, finish_due, due=1)
        if row["rating"] and last_rating:
            _add(days, last_rating, rated=1, satisfied=int(row["rating"] in SATISFIED))
    category_id = row["category_id"]
    received = local_day(created)
    words, cell = recent_of(row, received, since)
    return Contribution(
        dims=Dims(
            territory=row["territory_code"],
            department_id=row["owner_department_id"] or 0,
            category_id=category_id,
            top_category_id=top.get(category_id, category_id),
            channel=row["channel"],
        ),
        days={d: c for d, c in days.items() if c},
        received_day=received,
        is_open=bool(row["is_open"]),
        overdue=bool(row["is_open"] and row["colour"] == Colour.RED),
        final=status in STATS_FINAL,
        words=words,
        cell=cell,
    )


def top_categories() -> dict[int, int]:
    return {pk: parent or pk for pk, parent in Category.objects.values_list("id", "parent_id")}


def event_times(case_ids: list[int]) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """(first dispatch, last follow-up) per case, from the events."""
    dispatch: dict[int, datetime] = {}
    rating: dict[int, datetime] = {}
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids, action__in=[CaseAction.DISPATCH, CaseAction.FOLLOW_UP])
        .values("case_id", "action")
        .annotate(first=Min("at"), last=Max("at"))
    )
    for r in rows:
        if r["action"] == CaseAction.DISPATCH:
            dispatch[r["case_id"]] = r["first"]
        else:
            rating[r["case_id"]] = r["last"]
    return dispatch, rating


def recent_start() -> date:
    """The first day the recent counts keep, by the clock now."""
    return recent_since(local_day(clock.now()))


def contributions_for(
    case_ids: list[int], *, top: dict[int, int] | None = None, since: date | None = None
) -> dict[int, Contribution]:
    top = top_categories() if top is None else top
    since = recent_start() if since is None else since
    dispatch, rating = event_times(case_ids)
    return {
        row["id"]: contribution(
            row,
            top=top,
            first_dispatch=dispatch.get(row["id"]),
            last_rating=rating.get(row["id"]),
            since=since,
        )
        for row in Case.objects.filter(pk__in=case_ids).values(*CASE_FIELDS)
    }


def rollup_keys(dims: Dims) -> list[tuple[str, str, str]]:
    """(code, dim, key) of every rollup row the case's counters go to."""
    t = dims.territory
    keys = []
    for n in PREFIX_LENGTHS:
        if n > len(t):
            break
        code = t[:n]
        keys.append((code, "", ""))
        if n <= DIM_MAX_LENGTH:
            keys += [
                (code, "channel", dims.channel),
                (code, "department", str(dims.department_id)),
                (code, "category", str(dims.top_category_id)),
            ]
    return keys
