"""The working-day calendar: which days are working days, and when a working day is open.

A day is answered, in this order, by
1. an override an administrator entered (CalendarDay), which always wins;
2. the State Council's schedule as shipped by chinese-calendar (holidays and 调休 make-up days);
3. for a year neither covers, Saturday/Sunday rest, with a warning that can be shown to people
   and a log line; never an exception, because a case opened in December must still get a
   deadline in January before the next year's schedule is published.

This module holds no database code: `WorkCalendar` is built from plain values so deadline
arithmetic can be tested, and reasoned about, without a database. `selectors.current_calendar()`
builds one from the admin's data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from chinese_calendar import constants as library
from django.conf import settings

from gridgov.core.errors import DomainError, InvalidInput
from gridgov.sla.enums import DaySource

logger = logging.getLogger(__name__)

# Years whose schedule the installed chinese-calendar knows. Its data ends with the last year the
# State Council had published when the package was released.
LIBRARY_YEARS = range(min(library.holidays).year, max(library.holidays).year + 1)

# The library's short names ("端午", "中秋") and the names people write on notices.
_HOLIDAY_NAMES = {
    h.value: {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}.get(h.chinese, h.chinese)
    for h in library.Holiday
}
MAKEUP_SUFFIX = "调休上班"

# More rest days than this in a row means the calendar is misconfigured (every day declared a
# holiday); arithmetic would otherwise loop for ever looking for an opening.
MAX_REST_DAYS_IN_A_ROW = 366

_warned_years: set[int] = set()


class NoWorkdays(DomainError):
    status = 500
    code = "calendar_no_workdays"


@dataclass(frozen=True)
class Period:
    """One stretch of business hours inside a working day, [start, end)."""

    start: time
    end: time

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


DEFAULT_PERIODS = (Period(time(9, 0), time(12, 0)), Period(time(13, 30), time(17, 30)))


@dataclass(frozen=True)
class Override:
    is_workday: bool
    name: str = ""


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_workday: bool
    name: str
    source: DaySource


@dataclass(frozen=True)
class CalendarWarning:
    year: int
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return self.message_zh


def uncovered_year_warning(year: int) -> CalendarWarning:
    return CalendarWarning(
        year=year,
        message_zh=f"{year}年节假日安排尚未录入，按周六周日休息计算",
        message_en=f"the {year} holiday schedule has not been entered; Saturdays and Sundays count as rest",
    )


def _validated_periods(periods: Iterable[Period]) -> tuple[Period, ...]:
    result = tuple(periods)
    if not result:
        raise InvalidInput("工作时段不能为空", "business hours need at least one period")
    previous_end: time | None = None
    for p in result:
        if p.start >= p.end or (previous_end is not None and p.start < previous_end):
            raise InvalidInput(
                "工作时段须按时间先后排列且互不重叠", "business hour periods must be in order and not overlap"
            )
        previous_end = p.end
    return result


class WorkCalendar:
    def __init__(
        self,
        *,
        overrides: Mapping[date, Override] | None = None,
        periods: Iterable[Period] = DEFAULT_PERIODS,
        tz: tzinfo | None = None,
    ) -> None:
        self.overrides: dict[date, Override] = dict(overrides or {})
        self.periods = _validated_periods(periods)
        self.tz = tz or ZoneInfo(settings.TIME_ZONE)
        self.workday_length = sum((p.length for p in self.periods), timedelta())
        self._override_years = frozenset(d.year for d in self.overrides)

    # --- days ---------------------------------------------------------------------------------
    def info(self, day: date) -> DayInfo:
        override = self.overrides.get(day)
        if override is not None:
            return DayInfo(day, override.is_workday, override.name, DaySource.OVERRIDE)
        if day.year in LIBRARY_YEARS:
            # chinese_calendar.get_holiday_detail's rule, read from its tables directly: the
            # function scans all its keys for the supported range on every call, and deadline
            # arithmetic asks about many days.
            if day in library.workdays:
                return DayInfo(
                    day, True, _HOLIDAY_NAMES[library.workdays[day]] + MAKEUP_SUFFIX, DaySource.LIBRARY
                )
            if day in library.holidays:
                return DayInfo(day, False, _HOLIDAY_NAMES[library.holidays[day]], DaySource.LIBRARY)
            return DayInfo(day, day.weekday() < 5, "", DaySource.LIBRARY)
        if day.year not in self._override_years and day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning("%s", uncovered_year_warning(day.year).message_en)
        return DayInfo(day, day.weekday() < 5, "", DaySource.WEEKEND_RULE)

    def is_workday(self, day: date) -> bool:
        return self.info(day).is_workday

    def is_year_covered(self, year: int) -> bool:
        """A year counts as entered once the library knows it or an administrator entered any day of it."""
        return year in LIBRARY_YEARS or year in self._override_years

    def warnings_for(self, start: date, end: date) -> list[CalendarWarning]:
        first, last = sorted((start, end))
        return [
            uncovered_year_warning(y) for y in range(first.year, last.year + 1) if not self.is_year_covered(y)
        ]

    def workday_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n ≥ 1), not counting `day` itself."""
        rest = 0
        while n > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
                rest = 0
            else:
                rest += 1
                self._check_rest(rest, day)
        return day

    # --- hours --------------------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput("时间须带时区", f"a naive datetime is ambiguous: {moment!r}")
        return moment.astimezone(self.tz)

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        """The business periods of `day` as aware datetimes; none on a rest day."""
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, p.start, tzinfo=self.tz), datetime.combine(day, p.end, tzinfo=self.tz))
            for p in self.periods
        ]

    def intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business intervals from `moment` on, the first one cut at `moment`; never ends."""
        local = self.local(moment)
        day, rest = local.date(), 0
        while True:
            spans = self.openings(day)
            if spans:
                rest = 0
                for a, b in spans:
                    if b > local:
                        yield max(a, local), b
            else:
                rest += 1
                self._check_rest(rest, day)
            day += timedelta(days=1)

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        return any(a <= local < b for a, b in self.openings(local.date()))

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when business is open then, else the start of the next business period."""
        return next(self.intervals_from(moment))[0]

    @staticmethod
    def _check_rest(rest: int, day: date) -> None:
        if rest > MAX_REST_DAYS_IN_A_ROW:
            raise NoWorkdays(
                f"{day:%Y-%m-%d} 之前连续 {rest} 天没有工作日,请检查节假日设置",
                f"no working day in the {rest} days before {day}: check the calendar overrides",
            )
