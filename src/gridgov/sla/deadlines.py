"""Deadline arithmetic on the working-day calendar. Pure functions: every moment is passed in as
an aware datetime, and the calendar is passed in too; nothing here reads the clock or the database.

The rules in plain words, with examples, are in docs/deadlines.md. In short:
- clock units (HOURS, MINUTES) run day and night;
- WORK_HOURS run only inside business hours on working days; a deadline that uses up its time
  exactly at closing time falls at closing time (Friday 17:30, not Monday 09:00);
- WORKDAYS end at the same time of day N working days later, counted from `start` when business
  is open then, else from the next opening (Friday 19:00 + 1 working day = Tuesday 09:00);
- pauses (suspension, an extension waiting for approval) do not count, and an approved
  extension adds its duration to the deadline; a working-day deadline moved this way still
  falls while business is open (Friday 09:00 rather than the equivalent Thursday 17:30).
Results come back in the calendar's time zone (settings.TIME_ZONE).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from gridgov.core.errors import InvalidInput
from gridgov.sla.calendar import CalendarWarning, WorkCalendar
from gridgov.sla.durations import Duration
from gridgov.sla.enums import Colour, DurationUnit

__all__ = [
    "Duration",
    "active_time",
    "add_business_time",
    "business_time_between",
    "colour_for",
    "deadline_warnings",
    "deadline_with_pauses",
    "merge_pauses",
]

Pause = tuple[datetime, datetime]


def add_business_time(start: datetime, duration: Duration, *, calendar: WorkCalendar) -> datetime:
    start = calendar.local(start)
    if duration.amount == 0:
        return start
    if duration.unit == DurationUnit.WORKDAYS:
        opening = calendar.next_opening(start)
        day = calendar.workday_after(opening.date(), duration.amount)
        return datetime.combine(day, opening.timetz())
    if duration.unit == DurationUnit.WORK_HOURS:
        return _add_work_time(start, duration.business_length(calendar.workday_length), calendar)
    return start + duration.clock_length()


def _add_work_time(start: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    if amount <= timedelta():
        return calendar.local(start)
    remaining = amount
    for a, b in calendar.intervals_from(start):
        if remaining <= b - a:
            return a + remaining
        remaining -= b - a
    raise AssertionError("intervals_from never ends")  # pragma: no cover


def business_time_between(a: datetime, b: datetime, *, calendar: WorkCalendar) -> timedelta:
    """Business time from a to b; negative when b is before a."""
    a, b = calendar.local(a), calendar.local(b)
    if b < a:
        return -business_time_between(b, a, calendar=calendar)
    total = timedelta()
    for x, y in calendar.intervals_from(a):
        if x >= b:
            break
        total += min(y, b) - x
    return total


def _measure(a: datetime, b: datetime, *, business: bool, calendar: WorkCalendar) -> timedelta:
    if business:
        return business_time_between(a, b, calendar=calendar)
    return calendar.local(b) - calendar.local(a)


def _advance(t: datetime, amount: timedelta, *, business: bool, calendar: WorkCalendar) -> datetime:
    if business:
        return _add_work_time(t, amount, calendar)
    return calendar.local(t) + amount


def merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Sorted, with overlapping pauses joined: a suspension that overlaps a pending extension
    must not count twice."""
    merged: list[Pause] = []
    for p_from, p_to in sorted(pauses):
        for moment in (p_from, p_to):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidInput("暂停时段须带时区", f"a naive datetime is ambiguous: {moment!r}")
        if p_to < p_from:
            raise InvalidInput(
                f"暂停时段结束早于开始:{p_from} – {p_to}", f"a pause ends before it starts: {p_from} – {p_to}"
            )
        if merged and p_from <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], p_to))
        else:
            merged.append((p_from, p_to))
    return merged


def deadline_with_pauses(
    start: datetime,
    duration: Duration,
    pauses: Iterable[Pause] = (),
    *,
    calendar: WorkCalendar,
    extensions: Sequence[Duration] = (),
) -> datetime:
    """The deadline when the clock stops during `pauses` and approved `extensions` add time.

    A pause still running is passed with `now` as its end: the answer is then the deadline if
    the pause ended now. Pauses are measured in the duration's kind of time (business time for
    working days and working hours, clock time for hours and minutes). A pause that begins after
    the deadline has passed does not revive the case: overdue stays overdue.
    """
    business = duration.is_business

    def settle(moment: datetime) -> datetime:
        # A working-day deadline always falls while business is open, as it does without pauses
        # (same time of day): one paused working day moves Thursday 09:00 to Friday 09:00, not to
        # Thursday 17:30, which is the same business time but would count as overdue overnight.
        if duration.unit == DurationUnit.WORKDAYS and duration.amount and not calendar.is_open(moment):
            return calendar.next_opening(moment)
        return moment

    deadline = add_business_time(start, duration, calendar=calendar)
    for extension in extensions:
        deadline = add_business_time(deadline, extension, calendar=calendar)
    deadline = settle(deadline)
    for p_from, p_to in merge_pauses(pauses):
        p_from = max(p_from, start)
        if p_to <= p_from:
            continue
        if p_from > deadline:
            break
        paused = _measure(p_from, p_to, business=business, calendar=calendar)
        deadline = settle(_advance(deadline, paused, business=business, calendar=calendar))
    return deadline


def active_time(
    start: datetime,
    end: datetime,
    pauses: Iterable[Pause] = (),
    *,
    calendar: WorkCalendar,
    business: bool = True,
) -> timedelta:
    """Time the clock ran between start and end: business (or clock) time outside the pauses."""
    if end <= start:
        return timedelta()
    total = _measure(start, end, business=business, calendar=calendar)
    for p_from, p_to in merge_pauses(pauses):
        a, b = max(p_from, start), min(p_to, end)
        if a < b:
            total -= _measure(a, b, business=business, calendar=calendar)
    return total


def colour_for(
    now: datetime,
    start: datetime,
    deadline: datetime,
    *,
    calendar: WorkCalendar,
    yellow_share: float = 0.8,
    pauses: Iterable[Pause] = (),
) -> Colour:
    """三色管控: RED once past the deadline; YELLOW once `yellow_share` of the business time between
    start and deadline is used; GREEN before.

    A deadline with no business time in it at all (two clock hours in the night) is judged on
    clock time instead, or it would stay green until the moment it turns red.
    """
    if not 0 < yellow_share <= 1:
        raise InvalidInput(
            f"黄色阈值须在 0 和 1 之间:{yellow_share}", f"yellow_share must be in (0, 1]: {yellow_share}"
        )
    now, start, deadline = calendar.local(now), calendar.local(start), calendar.local(deadline)
    if now > deadline:
        return Colour.RED
    pauses = list(pauses)
    business = active_time(start, deadline, pauses, calendar=calendar) > timedelta()
    total = active_time(start, deadline, pauses, calendar=calendar, business=business)
    if total <= timedelta():
        return Colour.GREEN
    used = active_time(start, now, pauses, calendar=calendar, business=business)
    return Colour.YELLOW if used / total >= yellow_share else Colour.GREEN


def deadline_warnings(
    start: datetime, deadline: datetime, *, calendar: WorkCalendar
) -> list[CalendarWarning]:
    """Warnings to show next to a deadline that was counted across a year with no schedule."""
    return calendar.warnings_for(calendar.local(start).date(), calendar.local(deadline).date())
