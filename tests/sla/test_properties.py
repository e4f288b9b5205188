"""Properties that must hold for any start, any duration and any calendar, holidays, make-up days
and years without data included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.sla.calendar import Override, Period, WorkCalendar
from gridgov.sla.deadlines import (
    active_time,
    add_business_time,
    business_time_between,
    colour_for,
    deadline_with_pauses,
)
from gridgov.sla.durations import Duration
from gridgov.sla.enums import Colour, DurationUnit
from tests.sla.conftest import SHANGHAI

# December 2025 to early 2028: the library's last full year, the uncovered 2027, and the turns
# of both years.
moments = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 31)).map(
    lambda d: d.replace(tzinfo=SHANGHAI)
)
workdays = st.integers(0, 25).map(Duration.workdays)
work_hours = st.integers(0, 200).map(Duration.work_hours)
business = st.one_of(workdays, work_hours)
any_duration = st.one_of(
    workdays, work_hours, st.integers(0, 500).map(Duration.hours), st.integers(0, 5000).map(Duration.minutes)
)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """The library's calendar with random overrides: extra holidays, extra working weekends."""
    days = draw(st.lists(st.dates(date(2025, 12, 1), date(2028, 1, 31)), max_size=40))
    overrides = {d: Override(is_workday=draw(st.booleans())) for d in days}
    periods = draw(
        st.sampled_from(
            [
                (Period(time(9, 0), time(12, 0)), Period(time(13, 30), time(17, 30))),
                (Period(time(8, 30), time(12, 0)), Period(time(14, 0), time(17, 30))),
                (Period(time(0, 0), time(23, 59)),),
            ]
        )
    )
    return WorkCalendar(overrides=overrides, periods=periods)


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime]]:
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        offset = timedelta(minutes=draw(st.integers(-3000, 30000)))
        length = timedelta(minutes=draw(st.integers(0, 10000)))
        pauses.append((start + offset, start + offset + length))
    return pauses


fast = settings(max_examples=150, deadline=None)


@fast
@given(calendars(), moments, workdays, workdays)
def test_adding_working_days_in_two_steps_equals_adding_them_at_once(cal, start, d1, d2):
    once = add_business_time(start, d1 + d2, calendar=cal)
    twice = add_business_time(add_business_time(start, d1, calendar=cal), d2, calendar=cal)
    assert once == twice


@fast
@given(calendars(), moments, work_hours, work_hours)
def test_adding_working_hours_in_two_steps_equals_adding_them_at_once(cal, start, d1, d2):
    once = add_business_time(start, d1 + d2, calendar=cal)
    twice = add_business_time(add_business_time(start, d1, calendar=cal), d2, calendar=cal)
    assert once == twice


@fast
@given(calendars(), moments, any_duration)
def test_a_deadline_is_never_before_its_start(cal, start, duration):
    assert add_business_time(start, duration, calendar=cal) >= start


@fast
@given(calendars(), moments, business)
def test_the_business_time_up_to_a_deadline_is_the_duration(cal, start, duration):
    deadline = add_business_time(start, duration, calendar=cal)
    assert business_time_between(start, deadline, calendar=cal) == duration.business_length(
        cal.workday_length
    )


@fast
@given(calendars(), moments, workdays)
def test_a_working_day_deadline_falls_while_business_is_open(cal, start, duration):
    deadline = add_business_time(start, duration, calendar=cal)
    assert duration.amount == 0 or cal.is_open(deadline)


@fast
@given(calendars(), moments, moments, moments)
def test_business_time_adds_up_over_consecutive_stretches(cal, a, b, c):
    ab = business_time_between(a, b, calendar=cal)
    bc = business_time_between(b, c, calendar=cal)
    assert ab + bc == business_time_between(a, c, calendar=cal)
    assert business_time_between(b, a, calendar=cal) == -ab


@fast
@given(calendars(), moments, business, st.data())
def test_paused_time_is_given_back_exactly(cal, start, duration, data):
    pauses = data.draw(pause_lists(start))
    deadline = deadline_with_pauses(start, duration, pauses, calendar=cal)
    plain = add_business_time(start, duration, calendar=cal)
    assert deadline >= plain
    assert active_time(start, deadline, pauses, calendar=cal) == duration.business_length(cal.workday_length)


@fast
@given(calendars(), moments, st.integers(0, 500).map(Duration.hours), st.data())
def test_paused_clock_time_is_given_back_exactly(cal, start, duration, data):
    pauses = data.draw(pause_lists(start))
    deadline = deadline_with_pauses(start, duration, pauses, calendar=cal)
    assert active_time(start, deadline, pauses, calendar=cal, business=False) == duration.clock_length()


@fast
@given(calendars(), moments, workdays, workdays)
def test_an_extension_is_the_same_as_a_longer_duration(cal, start, d, extension):
    extended = deadline_with_pauses(start, d, calendar=cal, extensions=[extension])
    assert extended == add_business_time(start, d + extension, calendar=cal)


@fast
@given(calendars(), moments, business, st.lists(moments, min_size=2, max_size=6))
def test_the_colour_only_ever_gets_worse(cal, start, duration, nows):
    deadline = add_business_time(start, duration, calendar=cal)
    order = [Colour.GREEN, Colour.YELLOW, Colour.RED]
    colours = [order.index(colour_for(now, start, deadline, calendar=cal)) for now in sorted(nows)]
    assert colours == sorted(colours)
    assert all(colour_for(now, start, deadline, calendar=cal) == Colour.RED for now in nows if now > deadline)


def test_the_units_are_business_or_clock():
    assert {u for u in DurationUnit if u.is_business} == {DurationUnit.WORKDAYS, DurationUnit.WORK_HOURS}
