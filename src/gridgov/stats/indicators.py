"""Every indicator of the command centre, defined once: the screen, the bulletins and the
exports read them from here. docs/indicators.md gives each formula exactly as computed.

All of it reads the summary tables (`stats.models`), never the cases table: a county's month
is a few hundred rollup rows whatever the number of cases. Which table answers a question is
decided in `queries.py`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.models import Department
from gridgov.accounts.scope import region_root_for, scope_for
from gridgov.cases.enums import Channel
from gridgov.cases.models import Category
from gridgov.core import clock
from gridgov.core.errors import Forbidden, InvalidInput, NotFound
from gridgov.geo.models import Region

# --- scope and period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A region's subtree, optionally narrowed to one department, category (a top-level one
    includes its children) and channel."""

    region: Region
    department_id: int | None = None
    category_id: int | None = None
    channel: str | None = None

    @classmethod
    def for_user(
        cls,
        user: Any,
        *,
        region: Region | None = None,
        department_id: int | None = None,
        category_id: int | None = None,
        channel: str | None = None,
    ) -> Scope:
        """The scope a user asked for, refused (Forbidden) when it reaches outside what the user
        may see. A centre user reads its region's subtree (any department's work in it); a
        department user reads only its own department's work; grid workers and unbound users
        read no indicators."""
        us = scope_for(user)
        if us.kind in (ScopeKind.NOTHING, ScopeKind.GRIDS):
            raise Forbidden("无权查看统计指标", "you may not read indicators", code="stats_forbidden")
        if region is None:
            root = _light_region(us.region_id) if us.region_id is not None else region_root_for(user)
            if root is None:
                raise Forbidden("无权查看统计指标", "you may not read indicators", code="stats_forbidden")
            region = root
        if us.kind != ScopeKind.EVERYTHING and not region.prefix.startswith(us.prefix or "\0"):
            raise Forbidden(
                f"无权查看该区划的统计:{region.name}",
                f"region {region.code} is outside your scope",
                code="stats_region_forbidden",
            )
        if us.kind == ScopeKind.DEPARTMENT:
            if department_id not in (None, us.department_id):
                raise Forbidden(
                    "无权查看其他部门的统计", "you may not read another department's indicators",
                    code="stats_department_forbidden",
                )  # fmt: skip
            department_id = us.department_id
        if department_id is not None and not Department.objects.filter(pk=department_id).exists():
            raise NotFound("部门不存在", "no such department", code="department_not_found")
        if category_id is not None and not Category.objects.filter(pk=category_id).exists():
            raise NotFound("分类不存在", "no such category", code="category_not_found")
        if channel is not None and channel not in Channel.values:
            raise InvalidInput(f"未知来源:{channel}", f"unknown channel {channel!r}", code="channel_unknown")
        return cls(region=region, department_id=department_id, category_id=category_id, channel=channel)

    def describe(self) -> dict[str, Any]:
        return {
            "region": self.region.code,
            "region_name": self.region.name,
            "department": self.department_id,
            "category": self.category_id,
            "channel": self.channel,
        }


# A region's boundary can be megabytes of GeoJSON (a city outline): decoding it cost more
# than the indicators themselves (about 25 ms a load for the city), and a scope needs none of it.
LIGHT_REGION_FIELDS = ("id", "code", "prefix", "name", "level", "parent_id")


def _light_region(pk: int) -> Region | None:
    return Region.objects.only(*LIGHT_REGION_FIELDS).filter(pk=pk).first()


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _shift_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """Local dates (settings.TIME_ZONE), both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                "结束日期早于开始日期", "the period ends before it starts", code="period_reversed"
            )

    @classmethod
    def day(cls, d: date) -> Period:
        return cls(d, d)

    @classmethod
    def week_of(cls, d: date) -> Period:
        start = d - timedelta(days=d.weekday())
        return cls(start, start + timedelta(days=6))

    @classmethod
    def month_of(cls, d: date) -> Period:
        return cls(d.replace(day=1), _month_end(d))

    @classmethod
    def quarter_of(cls, d: date) -> Period:
        first = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
        return cls(first, _month_end(_shift_months(first, 2)))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def _months(self) -> int:
        """How many whole calendar months the period is (0 when it is not whole months)."""
        if self.start.day != 1 or self.end != _month_end(self.end):
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before: the previous month (or quarter) for a
        whole month (quarter), else as many days just before."""
        months = self._months()
        if months:
            start = _shift_months(self.start, -months)
            return Period(start, _month_end(_shift_months(start, months - 1)))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        months = self._months()
        start = _shift_months(self.start, -12)
        if months:
            return Period(start, _month_end(_shift_months(start, months - 1)))
        return Period(start, _shift_months(self.end, -12))

    def clipped(self, today: date) -> Period | None:
        """The part up to today (None when the period lies wholly in the future)."""
        if self.start > today:
            return None
        return Period(self.start, min(self.end, today))

    def describe(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


# --- the indicators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    name: str
    label_zh: str
    label_en: str
    unit: str  # "件", "%", "小时"
    formula_zh: str
    higher_is_better: bool
    # How the value comes from the summed counters: (numerator, denominator or None).
    parts: Callable[[dict[str, float]], tuple[float, float | None]] = field(repr=False, compare=False)
    state: bool = False  # a state now (in progress, overdue) rather than a flow over the period


def _count(name: str) -> Callable[[dict[str, float]], tuple[float, float | None]]:
    return lambda c: (c.get(name, 0), None)


def _ratio(num: str, den: str) -> Callable[[dict[str, float]], tuple[float, float | None]]:
    return lambda c: (c.get(num, 0), c.get(den, 0))


def _hours(seconds: str, count: str) -> Callable[[dict[str, float]], tuple[float, float | None]]:
    return lambda c: (c.get(seconds, 0) / 3600, c.get(count, 0))


_DEFS = [
    Indicator("intake", "受理量", "intake", "件", "期内登记的事件数(按登记日)", True, _count("intake")),
    Indicator(
        "in_progress", "在办量", "in progress", "件",
        "当前仍在办理(未结案、未退件、未合并)且在期末及以前登记的事件数", False,
        _count("in_progress"), state=True,
    ),
    Indicator("closed", "结案量", "closed", "件", "期内结案的事件数(按结案日)", True, _count("closed")),
    Indicator(
        "overdue", "超期量", "overdue", "件",
        "当前在办且已超期(红色)、在期末及以前登记的事件数", False, _count("overdue"), state=True,
    ),
    Indicator(
        "on_time_handling_rate", "按期处置率", "on-time handling rate", "%",
        "期内处置完成(反馈)的事件中,在办结时限内反馈的比例 = 按期处置数 ÷ 处置数", True,
        _ratio("handled_on_time", "handled"),
    ),
    Indicator(
        "closure_rate", "结案率", "closure rate", "%",
        "已结案数 ÷ 应结案数;应结案 = 办结时限在期内,或在时限前于期内结案的事件", True,
        _ratio("due_closed", "due"),
    ),
    Indicator(
        "on_time_closure_rate", "按期结案率", "on-time closure rate", "%",
        "按期结案数 ÷ 应结案数;按期 = 在办结时限内反馈且在反馈时限内结案", True,
        _ratio("due_closed_on_time", "due"),
    ),
    Indicator(
        "satisfaction_rate", "满意率", "satisfaction rate", "%",
        "期内回访评价中(满意 + 基本满意)÷ 评价数(按最后一次回访日)", True, _ratio("satisfied", "rated"),
    ),
    Indicator(
        "redo_rate", "返工率", "redo rate", "%",
        "期内结案的事件中曾重办(核查不通过或回访不满意)的比例 = 重办结案数 ÷ 结案数", False,
        _ratio("closed_redone", "closed"),
    ),
    Indicator(
        "avg_hours_to_accept", "平均受理时长", "average hours to accept", "小时",
        "期内受理的事件从登记到受理的平均小时数(自然时间)", False, _hours("accept_seconds", "accept_count"),
    ),
    Indicator(
        "avg_hours_to_dispatch", "平均派遣时长", "average hours to dispatch", "小时",
        "期内首次派遣的事件从登记到首次派遣的平均小时数(自然时间)", False,
        _hours("dispatch_seconds", "dispatch_count"),
    ),
    Indicator(
        "avg_hours_to_close", "平均结案时长", "average hours to close", "小时",
        "期内结案的事件从登记到结案的平均小时数(自然时间)", False, _hours("close_seconds", "closed"),
    ),
    Indicator(
        "self_handled_rate", "小事不出村率", "self-handled rate (community level)", "%",
        "期内结案的事件中由村(社区)级指挥中心办结的比例 = 村级结案数 ÷ 结案数", True,
        _ratio("closed_self", "closed"),
    ),
]  # fmt: skip
INDICATORS: dict[str, Indicator] = {i.name: i for i in _DEFS}


@dataclass(frozen=True)
class Value:
    value: float | None
    numerator: float
    denominator: float | None
    yoy: float | None
    mom: float | None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: dict[str, Value]


BREAKDOWNS = ("region", "channel", "department", "category", "day")


def _names(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return list(INDICATORS)
    unknown = [n for n in names if n not in INDICATORS]
    if unknown:
        raise InvalidInput(
            f"未知指标:{'、'.join(unknown)}",
            f"unknown indicator(s): {', '.join(unknown)}",
            code="indicator_unknown",
        )
    return list(names)


def _raw(ind: Indicator, counters: dict[str, float] | None) -> tuple[float | None, float, float | None]:
    num, den = ind.parts(counters or {})
    if den is None:
        return float(num), float(num), None
    if not den:
        return None, float(num), float(den)
    value = num / den
    return (value * 100 if ind.unit == "%" else value), float(num), float(den)


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def _values(
    names: list[str],
    current: dict[str, float] | None,
    previous: dict[str, float] | None,
    year_ago: dict[str, float] | None,
) -> dict[str, Value]:
    out = {}
    for name in names:
        ind = INDICATORS[name]
        value, num, den = _raw(ind, current)
        mom = yoy = None
        if not ind.state:
            mom = _change(value, _raw(ind, previous)[0]) if previous is not None else None
            yoy = _change(value, _raw(ind, year_ago)[0]) if year_ago is not None else None
        out[name] = Value(value=value, numerator=num, denominator=den, yoy=yoy, mom=mom)
    return out


def today() -> date:
    return timezone.localtime(clock.now()).date()


def comparison_periods(period: Period, today: date) -> tuple[Period | None, Period | None, Period | None]:
    """(this, previous, a year ago), each cut to as many days as have passed of `period`, so a
    month so far compares with the same days of the month before and of last year."""
    current = period.clipped(today)
    if current is None:
        return None, None, None
    length = timedelta(days=current.days - 1)

    def cut(p: Period) -> Period:
        return Period(p.start, min(p.end, p.start + length))

    return current, cut(period.previous()), cut(period.year_ago())


def compute(*, scope: Scope, period: Period, names: Sequence[str] | None = None) -> dict[str, Value]:
    from gridgov.stats import queries

    wanted = _names(names)
    ctx = queries.Context.of(scope)
    current, previous, year_ago = comparison_periods(period, today())
    flows = any(not INDICATORS[n].state for n in wanted)
    sums = [
        queries.totals(ctx, p) if p is not None and flows else None for p in (current, previous, year_ago)
    ]
    if any(INDICATORS[n].state for n in wanted):
        states = queries.states(ctx, period.end, by=None)
        sums[0] = {**(sums[0] or {}), **states.get("", {})}
    return _values(wanted, *sums)


def breakdown(*, scope: Scope, period: Period, by: str, names: Sequence[str] | None = None) -> list[Row]:
    from gridgov.stats import queries

    if by not in BREAKDOWNS:
        raise InvalidInput(
            f"未知分组:{by}(可选 {'、'.join(BREAKDOWNS)})",
            f"unknown breakdown {by!r}",
            code="breakdown_unknown",
        )
    wanted = _names(names)
    ctx = queries.Context.of(scope, with_children=by == "region")
    if by == "day":
        # Each day compares with the day before and the same day a year earlier.
        return _by_day(ctx, period, wanted)
    current, previous, year_ago = comparison_periods(period, today())
    groups = [queries.grouped(ctx, p, by) if p is not None else {} for p in (current, previous, year_ago)]
    if any(INDICATORS[n].state for n in wanted):
        states = queries.states(ctx, period.end, by=by)
        for key, amounts in states.items():
            groups[0][key] = {**groups[0].get(key, {}), **amounts}
    labels = queries.labels(ctx, by, set(groups[0]))
    keys = sorted(set(groups[0]) | set(labels))
    return [
        Row(
            key=key,
            label=labels.get(key, key),
            values=_values(
                wanted,
                groups[0].get(key, {}),
                groups[1].get(key) if previous is not None else None,
                groups[2].get(key) if year_ago is not None else None,
            ),
        )
        for key in keys
    ]


def _by_day(ctx: Any, period: Period, names: list[str]) -> list[Row]:
    from gridgov.stats import queries

    last = period.clipped(today())
    if last is None:
        return []
    # One read for the days and the day before the first (each day's previous), one for the
    # same days a year earlier.
    current = queries.grouped(ctx, Period(period.start - timedelta(days=1), last.end), "day")
    year_span = Period(_shift_months(period.start, -12), _shift_months(last.end, -12))
    year = queries.grouped(ctx, year_span, "day")
    received = queries.states(ctx, last.end, by="day") if any(INDICATORS[n].state for n in names) else {}
    rows = []
    d = period.start
    while d <= last.end:
        key = d.isoformat()
        values = _values(
            names,
            {**current.get(key, {}), **received.get(key, {})},
            current.get((d - timedelta(days=1)).isoformat(), {}),
            year.get(_shift_months(d, -12).isoformat(), {}),
        )
        rows.append(Row(key=key, label=key, values=values))
        d += timedelta(days=1)
    return rows


def scope_with(scope: Scope, **changes: Any) -> Scope:
    return replace(scope, **changes)
