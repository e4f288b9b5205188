"""Deadline arithmetic on the official calendar (chinese-calendar's 2026 schedule, default hours
09:00–12:00 and 13:30–17:30). No database: the calendar is built from plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from gridgov.core.errors import InvalidInput
from gridgov.sla.calendar import DayInfo, NoWorkdays, Override, Period, WorkCalendar
from gridgov.sla.deadlines import (
    active_time,
    add_business_time,
    business_time_between,
    colour_for,
    deadline_with_pauses,
)
from gridgov.sla.durations import Duration
from gridgov.sla.enums import Colour, DaySource, DurationUnit
from gridgov.sla.policies import RULE_131
from tests.sla.conftest import SHANGHAI, at

WD = Duration.workdays
WH = Duration.work_hours


def add(start: str, duration: Duration, cal: WorkCalendar) -> datetime:
    return add_business_time(at(start), duration, calendar=cal)


# --- the 2026 National Day holiday and its make-up Saturday -------------------------------------
def test_the_national_day_week_is_rest_and_the_saturday_after_it_is_a_working_day(cal):
    for day in range(1, 8):
        info = cal.info(date(2026, 10, day))
        assert (info.is_workday, info.name, info.source) == (False, "国庆节", DaySource.LIBRARY)
    assert cal.info(date(2026, 10, 10)) == DayInfo(
        date(2026, 10, 10), True, "国庆节调休上班", DaySource.LIBRARY
    )
    assert not cal.is_workday(date(2026, 10, 11))
    # The other make-up day of that holiday is a Sunday, before Mid-autumn.
    assert cal.is_workday(date(2026, 9, 20))


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday(cal):
    # Wednesday 30 September counts as the start; Oct 8, 9 and the make-up Saturday 10 follow.
    assert add("2026-09-30 16:00", WD(3), cal) == at("2026-10-10 16:00")
    assert add("2026-09-30 16:00", WD(1), cal) == at("2026-10-08 16:00")
    assert add("2026-09-30 16:00", WD(4), cal) == at("2026-10-12 16:00")


def test_a_case_registered_during_the_holiday_counts_from_the_first_opening_after_it(cal):
    assert add("2026-10-03 10:00", WD(1), cal) == at("2026-10-09 09:00")
    assert add("2026-10-03 10:00", WD(2), cal) == at("2026-10-10 09:00")
    assert add("2026-10-03 10:00", WH(1), cal) == at("2026-10-08 10:00")


def test_working_hours_run_on_the_make_up_saturday(cal):
    assert add("2026-10-09 17:00", WH(1), cal) == at("2026-10-10 09:30")
    assert add("2026-10-10 17:00", WH(1), cal) == at("2026-10-12 09:30")


def test_no_business_time_passes_during_the_national_day_holiday(cal):
    between = business_time_between(at("2026-09-30 17:30"), at("2026-10-08 09:00"), calendar=cal)
    assert between == timedelta()
    week = business_time_between(at("2026-09-28 09:00"), at("2026-10-12 09:00"), calendar=cal)
    # Mon 28 Sep – Wed 30 Sep, Thu 8 – Sat 10 Oct: six working days of 7 hours.
    assert week == timedelta(hours=6 * 7)


def test_clock_hours_run_through_the_holiday(cal):
    assert add("2026-09-30 23:30", Duration.hours(1), cal) == at("2026-10-01 00:30")
    assert add("2026-10-01 10:00", Duration.minutes(30), cal) == at("2026-10-01 10:30")


# --- Mid-autumn 2026 -----------------------------------------------------------------------------
def test_mid_autumn_friday_and_its_weekend_are_rest(cal):
    # The festival falls on Friday 25 September 2026: 25–27 off, no make-up day of its own.
    assert [cal.is_workday(date(2026, 9, d)) for d in (24, 25, 26, 27, 28)] == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert cal.info(date(2026, 9, 25)).name == "中秋节"


def test_one_working_day_from_the_thursday_before_mid_autumn_is_the_monday(cal):
    assert add("2026-09-24 16:00", WD(1), cal) == at("2026-09-28 16:00")
    assert add("2026-09-24 17:00", WH(2), cal) == at("2026-09-28 10:30")


def test_the_sunday_before_mid_autumn_is_a_working_day(cal):
    assert add("2026-09-18 16:00", WD(1), cal) == at("2026-09-20 16:00")
    assert add("2026-09-19 10:00", WD(1), cal) == at("2026-09-21 09:00")


# --- starts outside business hours ---------------------------------------------------------------
def test_a_case_dispatched_on_friday_evening_counts_from_monday_opening(cal):
    assert add("2026-11-20 19:00", WD(3), cal) == at("2026-11-26 09:00")
    assert add("2026-11-20 19:00", WD(1), cal) == at("2026-11-24 09:00")
    assert add("2026-11-20 19:00", WH(1), cal) == at("2026-11-23 10:00")
    # Clock hours do not wait for Monday.
    assert add("2026-11-20 19:00", Duration.hours(2), cal) == at("2026-11-20 21:00")


def test_the_131_rule_for_a_case_dispatched_on_friday_evening(cal):
    start = at("2026-11-20 19:00")
    assert add_business_time(start, RULE_131.contact, calendar=cal) == at("2026-11-23 10:00")
    finish = add_business_time(start, RULE_131.finish, calendar=cal)
    assert finish == at("2026-11-26 09:00")
    assert add_business_time(finish, RULE_131.feedback, calendar=cal) == at("2026-11-27 09:00")


def test_a_start_in_the_lunch_break_counts_from_the_afternoon_opening(cal):
    assert add("2026-11-23 12:30", WD(1), cal) == at("2026-11-24 13:30")
    assert add("2026-11-23 12:30", WH(1), cal) == at("2026-11-23 14:30")
    assert add("2026-11-23 11:30", WH(1), cal) == at("2026-11-23 14:00")


def test_a_start_inside_business_hours_keeps_its_time_of_day(cal):
    assert add("2026-11-23 10:17", WD(3), cal) == at("2026-11-26 10:17")
    assert add("2026-11-23 16:59", WD(1), cal) == at("2026-11-24 16:59")


def test_working_hours_that_run_out_at_closing_time_end_at_closing_time(cal):
    assert add("2026-11-27 16:30", WH(1), cal) == at("2026-11-27 17:30")
    assert add("2026-11-23 09:00", WH(7), cal) == at("2026-11-23 17:30")
    # Closing time itself is outside business hours: the next hour is Monday's first.
    assert add("2026-11-27 17:30", WH(1), cal) == at("2026-11-30 10:00")
    assert add("2026-11-27 17:30", WD(1), cal) == at("2026-12-01 09:00")


def test_a_zero_duration_is_the_start_itself(cal):
    for unit in DurationUnit:
        assert add("2026-11-21 03:00", Duration(0, unit), cal) == at("2026-11-21 03:00")


def test_results_come_back_in_beijing_time_whatever_zone_the_start_was_in(cal):
    start = at("2026-11-23 10:00").astimezone(UTC)
    result = add_business_time(start, WD(1), calendar=cal)
    assert result.tzinfo == SHANGHAI and result == at("2026-11-24 10:00")


def test_a_naive_start_is_refused(cal):
    with pytest.raises(InvalidInput):
        add_business_time(datetime(2026, 11, 23, 10, 0), WD(1), calendar=cal)


def test_business_time_between_is_negative_backwards(cal):
    assert business_time_between(at("2026-11-24 10:00"), at("2026-11-23 10:00"), calendar=cal) == -timedelta(
        hours=7
    )


def test_custom_business_hours_change_the_answer():
    cal = WorkCalendar(periods=[Period(time(8, 30), time(12, 0)), Period(time(14, 0), time(17, 30))])
    assert cal.workday_length == timedelta(hours=7)
    assert add("2026-11-23 11:30", WH(1), cal) == at("2026-11-23 14:30")
    assert add("2026-11-20 19:00", WH(1), cal) == at("2026-11-23 09:30")


def test_business_hours_must_be_in_order():
    with pytest.raises(InvalidInput):
        WorkCalendar(periods=[Period(time(14, 0), time(17, 0)), Period(time(9, 0), time(12, 0))])
    with pytest.raises(InvalidInput):
        WorkCalendar(periods=[])


def test_a_calendar_without_working_days_is_reported_not_looped_on():
    year = {date(2026, 1, 1) + timedelta(days=i): Override(False) for i in range(800)}
    cal = WorkCalendar(overrides=year)
    with pytest.raises(NoWorkdays):
        add_business_time(at("2026-01-05 10:00"), WD(1), calendar=cal)


# --- pauses and extensions -----------------------------------------------------------------------
def test_a_suspended_working_day_moves_the_deadline_by_one_working_day(cal):
    start = at("2026-11-23 09:00")
    assert add_business_time(start, WD(3), calendar=cal) == at("2026-11-26 09:00")
    suspended = [(at("2026-11-24 09:00"), at("2026-11-25 09:00"))]
    assert deadline_with_pauses(start, WD(3), suspended, calendar=cal) == at("2026-11-27 09:00")


def test_a_suspension_over_the_weekend_costs_no_business_time(cal):
    start = at("2026-11-20 10:00")
    weekend = [(at("2026-11-20 18:00"), at("2026-11-23 08:00"))]
    assert deadline_with_pauses(start, WD(1), weekend, calendar=cal) == at("2026-11-23 10:00")


def test_a_suspension_across_national_day_counts_only_the_working_hours_in_it(cal):
    start = at("2026-09-29 10:00")
    assert add_business_time(start, WD(3), calendar=cal) == at("2026-10-09 10:00")
    # Suspended from Wednesday 30 Sep 14:30 to Friday 9 Oct 11:00, after 10 of its 21 hours.
    # The other 11: Friday 11:00–17:30 (5 h) and the make-up Saturday 09:00–16:30 (6 h).
    pause = [(at("2026-09-30 14:30"), at("2026-10-09 11:00"))]
    assert deadline_with_pauses(start, WD(3), pause, calendar=cal) == at("2026-10-10 16:30")


def test_overlapping_pauses_count_once(cal):
    start = at("2026-11-23 09:00")
    suspended = (at("2026-11-24 09:00"), at("2026-11-24 17:30"))
    extension_pending = (at("2026-11-24 13:30"), at("2026-11-25 09:00"))
    both = deadline_with_pauses(start, WD(3), [extension_pending, suspended], calendar=cal)
    assert both == at("2026-11-27 09:00")


def test_a_pause_that_starts_after_the_deadline_does_not_revive_the_case(cal):
    start = at("2026-11-23 09:00")
    late = [(at("2026-11-26 10:00"), at("2026-11-30 10:00"))]
    assert deadline_with_pauses(start, WD(3), late, calendar=cal) == at("2026-11-26 09:00")


def test_a_suspension_at_the_very_minute_of_the_deadline_still_stops_the_clock(cal):
    # At the deadline itself the case is not yet overdue; what is left (nothing) waits.
    start = at("2026-11-23 09:00")
    pause = [(at("2026-11-23 11:00"), at("2026-11-23 11:30"))]
    assert deadline_with_pauses(start, WH(2), pause, calendar=cal) == at("2026-11-23 11:30")


def test_a_pause_before_the_start_is_ignored(cal):
    start = at("2026-11-23 09:00")
    early = [(at("2026-11-16 09:00"), at("2026-11-23 10:00"))]
    assert deadline_with_pauses(start, WH(2), early, calendar=cal) == at("2026-11-23 12:00")


def test_clock_deadlines_pause_in_clock_time(cal):
    start = at("2026-11-21 22:00")
    pause = [(at("2026-11-21 22:30"), at("2026-11-21 23:00"))]
    assert deadline_with_pauses(start, Duration.hours(2), pause, calendar=cal) == at("2026-11-22 00:30")


def test_a_running_pause_is_passed_with_now_as_its_end(cal):
    start, now = at("2026-11-23 10:00"), at("2026-11-24 11:00")
    running = [(at("2026-11-24 09:30"), now)]
    assert deadline_with_pauses(start, WD(1), running, calendar=cal) == at("2026-11-24 11:30")


def test_an_approved_extension_adds_its_duration_to_the_deadline(cal):
    start = at("2026-11-23 09:00")
    assert deadline_with_pauses(start, WD(3), calendar=cal, extensions=[WD(2)]) == at("2026-11-30 09:00")
    # While the request waited for approval (Wednesday morning, 3 business hours) the clock stood.
    waiting = [(at("2026-11-25 09:00"), at("2026-11-25 12:00"))]
    moved = deadline_with_pauses(start, WD(3), waiting, calendar=cal, extensions=[WD(2)])
    assert moved == at("2026-11-30 13:30")
    assert active_time(start, moved, waiting, calendar=cal) == timedelta(hours=5 * 7)


def test_an_extension_across_national_day_lands_on_the_make_up_saturday(cal):
    start = at("2026-09-28 10:00")
    assert deadline_with_pauses(start, WD(1), calendar=cal, extensions=[WD(3)]) == at("2026-10-09 10:00")
    assert deadline_with_pauses(start, WD(3), calendar=cal, extensions=[WD(2)]) == at("2026-10-10 10:00")


def test_a_pause_that_ends_before_it_starts_is_refused(cal):
    with pytest.raises(InvalidInput):
        deadline_with_pauses(
            at("2026-11-23 09:00"), WD(1), [(at("2026-11-24 10:00"), at("2026-11-24 09:00"))], calendar=cal
        )


# --- 三色管控 --------------------------------------------------------------------------------------
def test_a_case_turns_yellow_at_eighty_percent_of_its_business_time_and_red_after_the_deadline(cal):
    start = at("2026-11-23 09:00")
    deadline = add_business_time(start, WD(3), calendar=cal)  # Thursday 09:00, 21 business hours
    # 80 % is 16 h 48 min: Monday 7 h, Tuesday 7 h, Wednesday 09:00 + 2 h 48 min = 11:48.
    expected = [
        ("2026-11-23 09:00", Colour.GREEN),
        ("2026-11-25 11:47", Colour.GREEN),
        ("2026-11-25 11:48", Colour.YELLOW),
        ("2026-11-25 20:00", Colour.YELLOW),
        ("2026-11-26 09:00", Colour.YELLOW),
        ("2026-11-26 09:01", Colour.RED),
    ]
    for now, colour in expected:
        assert colour_for(at(now), start, deadline, calendar=cal) == colour, now


def test_the_yellow_threshold_is_configurable(cal):
    start = at("2026-11-23 09:00")
    deadline = add_business_time(start, WD(1), calendar=cal)
    now = at("2026-11-23 14:30")  # 4 of 7 hours
    assert colour_for(now, start, deadline, calendar=cal) == Colour.GREEN
    assert colour_for(now, start, deadline, calendar=cal, yellow_share=0.5) == Colour.YELLOW
    with pytest.raises(InvalidInput):
        colour_for(now, start, deadline, calendar=cal, yellow_share=1.5)


def test_the_night_and_the_holiday_do_not_turn_a_case_yellow(cal):
    start = at("2026-09-30 16:00")
    deadline = add_business_time(start, WD(1), calendar=cal)  # Thursday 8 Oct 16:00
    assert colour_for(at("2026-10-07 23:00"), start, deadline, calendar=cal) == Colour.GREEN


def test_paused_time_does_not_count_towards_the_colour(cal):
    start = at("2026-11-23 09:00")
    pauses = [(at("2026-11-23 09:00"), at("2026-11-23 17:30"))]
    deadline = deadline_with_pauses(start, WD(1), pauses, calendar=cal)
    assert deadline == at("2026-11-25 09:00")
    assert colour_for(at("2026-11-24 14:00"), start, deadline, calendar=cal, pauses=pauses) == Colour.GREEN
    assert colour_for(at("2026-11-24 16:30"), start, deadline, calendar=cal, pauses=pauses) == Colour.YELLOW


def test_a_clock_deadline_at_night_is_coloured_on_clock_time(cal):
    start = at("2026-11-21 20:00")
    deadline = add_business_time(start, Duration.hours(2), calendar=cal)
    assert colour_for(at("2026-11-21 21:00"), start, deadline, calendar=cal) == Colour.GREEN
    assert colour_for(at("2026-11-21 21:40"), start, deadline, calendar=cal) == Colour.YELLOW
    assert colour_for(at("2026-11-21 22:01"), start, deadline, calendar=cal) == Colour.RED


# --- durations -----------------------------------------------------------------------------------
def test_durations_parse_add_and_print():
    assert Duration.parse("3wd") == WD(3)
    assert Duration.parse(" 30m ") == Duration.minutes(30)
    assert WD(1) + WD(2) == WD(3)
    assert str(WD(3)) == "3个工作日" and str(RULE_131.contact) == "1个工作小时"
    with pytest.raises(TypeError):
        WD(1) + WH(1)
    for bad in ("3", "3d", "-1wd", "1.5wh"):
        with pytest.raises(InvalidInput):
            Duration.parse(bad)
    with pytest.raises(InvalidInput):
        Duration(-1, DurationUnit.HOURS)
    with pytest.raises(InvalidInput):
        Duration(True, DurationUnit.HOURS)


def test_the_131_rule_is_one_working_hour_three_working_days_and_one_working_day():
    assert (RULE_131.contact, RULE_131.finish, RULE_131.feedback) == (WH(1), WD(3), WD(1))
