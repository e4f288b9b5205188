"""The calendar as the administrators configure it: overrides in the database win over the library,
a year nobody has entered falls back to weekends with a warning, and edits show at once."""

from __future__ import annotations

import logging
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gridgov.core.errors import InvalidInput
from gridgov.core.models import AuditAction, AuditLog
from gridgov.sla.calendar import DayInfo, WorkCalendar
from gridgov.sla.deadlines import add_business_time, deadline_warnings
from gridgov.sla.durations import Duration
from gridgov.sla.enums import CalendarDayOrigin, DaySource
from gridgov.sla.models import BusinessHours, CalendarDay
from gridgov.sla.selectors import current_calendar
from gridgov.sla.services import calendar_year_load, library_schedule
from tests.sla.conftest import at

NEW_YEAR_2027 = date(2027, 1, 1)  # a Friday


# --- a year the library does not know ----------------------------------------------------------
def test_2027_without_data_falls_back_to_saturday_and_sunday_rest(cal):
    assert cal.info(NEW_YEAR_2027) == DayInfo(NEW_YEAR_2027, True, "", DaySource.WEEKEND_RULE)
    assert not cal.is_workday(date(2027, 1, 2)) and not cal.is_workday(date(2027, 1, 3))
    assert cal.is_workday(date(2027, 1, 4))


def test_a_deadline_running_into_2027_is_computed_and_carries_a_warning(cal, caplog):
    start = at("2026-12-30 16:00")
    with caplog.at_level(logging.WARNING, logger="gridgov.sla.calendar"):
        deadline = add_business_time(start, Duration.workdays(3), calendar=cal)
    # Thursday 31 Dec, then Friday 1 Jan (a working day on the weekend rule), Monday 4 Jan.
    assert deadline == at("2027-01-04 16:00")
    (warning,) = deadline_warnings(start, deadline, calendar=cal)
    assert warning.year == 2027
    assert warning.message_zh == "2027年节假日安排尚未录入，按周六周日休息计算"
    assert "2027" in warning.message_en
    assert [r.getMessage() for r in caplog.records] == [warning.message_en]


def test_the_log_warning_is_written_once_per_year_not_once_per_day(cal, caplog):
    with caplog.at_level(logging.WARNING, logger="gridgov.sla.calendar"):
        for offset in range(60):
            cal.is_workday(date(2027, 1, 1) + timedelta(days=offset))
    assert len(caplog.records) == 1


def test_years_the_library_covers_carry_no_warning(cal):
    assert cal.warnings_for(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert [w.year for w in cal.warnings_for(date(2026, 12, 1), date(2028, 2, 1))] == [2027, 2028]


# --- overrides in the database -----------------------------------------------------------------
@pytest.mark.django_db
def test_declaring_new_year_2027_a_holiday_changes_the_deadline():
    start = at("2026-12-31 16:00")
    assert add_business_time(start, Duration.workdays(1), calendar=current_calendar()) == at(
        "2027-01-01 16:00"
    )

    CalendarDay.objects.create(date=NEW_YEAR_2027, is_workday=False, name="元旦")

    calendar = current_calendar()
    assert calendar.info(NEW_YEAR_2027).source == DaySource.OVERRIDE
    assert add_business_time(start, Duration.workdays(1), calendar=calendar) == at("2027-01-04 16:00")
    # Once a day of 2027 is entered the year counts as entered: no more weekend-rule warning.
    assert calendar.warnings_for(date(2026, 12, 31), date(2027, 1, 4)) == []


@pytest.mark.django_db
def test_an_override_wins_over_the_library():
    # The make-up Saturday declared a rest day after all, e.g. by a local decision.
    CalendarDay.objects.create(date=date(2026, 10, 10), is_workday=False, name="本地调整")
    calendar = current_calendar()
    assert not calendar.is_workday(date(2026, 10, 10))
    assert add_business_time(at("2026-09-30 16:00"), Duration.workdays(3), calendar=calendar) == at(
        "2026-10-12 16:00"
    )


@pytest.mark.django_db
def test_an_edit_in_this_process_is_seen_at_once_and_a_deletion_too():
    day = CalendarDay.objects.create(date=NEW_YEAR_2027, is_workday=False, name="元旦")
    assert not current_calendar().is_workday(NEW_YEAR_2027)
    day.is_workday = True
    day.save()
    assert current_calendar().is_workday(NEW_YEAR_2027)
    day.delete()
    assert current_calendar().info(NEW_YEAR_2027).source == DaySource.WEEKEND_RULE


@pytest.mark.django_db
def test_an_edit_made_by_another_process_is_seen_through_the_version_stamp():
    day = CalendarDay.objects.create(date=NEW_YEAR_2027, is_workday=False, name="元旦")
    cached = current_calendar()
    assert current_calendar() is cached
    # QuerySet.update sends no signal, as an edit in another process would not reach this one.
    CalendarDay.objects.filter(pk=day.pk).update(
        is_workday=True, updated_at=day.updated_at + timedelta(seconds=1)
    )
    assert current_calendar() is not cached
    assert current_calendar().is_workday(NEW_YEAR_2027)


@pytest.mark.django_db
def test_business_hours_come_from_the_admin_row():
    assert current_calendar().periods[0].start == time(9, 0)
    BusinessHours.objects.create(
        morning_start=time(8, 30),
        morning_end=time(12, 0),
        afternoon_start=time(14, 0),
        afternoon_end=time(17, 30),
    )
    calendar = current_calendar()
    assert calendar.workday_length == timedelta(hours=7)
    assert add_business_time(at("2026-11-20 19:00"), Duration.work_hours(1), calendar=calendar) == at(
        "2026-11-23 09:30"
    )


@pytest.mark.django_db
def test_business_hours_out_of_order_are_refused_by_the_form_and_the_database():
    hours = BusinessHours(morning_start=time(12, 0), morning_end=time(9, 0))
    with pytest.raises(ValidationError):
        hours.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        hours.save()


@pytest.mark.django_db
def test_each_date_has_one_override():
    CalendarDay.objects.create(date=NEW_YEAR_2027, is_workday=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(date=NEW_YEAR_2027, is_workday=True)


# --- loading a year from the library for review --------------------------------------------------
def test_the_library_schedule_of_2026_lists_holidays_and_make_up_days_not_weekends():
    schedule = {day: (is_workday, name) for day, is_workday, name in library_schedule(2026)}
    assert schedule[date(2026, 10, 1)] == (False, "国庆节")
    assert schedule[date(2026, 10, 10)] == (True, "国庆节调休上班")
    assert schedule[date(2026, 9, 25)] == (False, "中秋节")
    assert date(2026, 11, 21) not in schedule  # an ordinary Saturday
    with pytest.raises(InvalidInput):
        library_schedule(2027)


@pytest.mark.django_db
def test_loading_2026_copies_the_schedule_keeps_existing_overrides_and_changes_no_answer():
    before = WorkCalendar()
    CalendarDay.objects.create(date=date(2026, 10, 10), is_workday=False, name="本地调整")
    result = calendar_year_load(year=2026)
    assert result.kept == 1 and result.created == len(library_schedule(2026)) - 1
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).name == "本地调整"
    loaded = CalendarDay.objects.get(date=date(2026, 10, 1))
    assert (loaded.is_workday, loaded.name, loaded.origin) == (False, "国庆节", CalendarDayOrigin.LIBRARY)
    calendar = current_calendar()
    changed = [
        d
        for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365))
        if calendar.is_workday(d) != before.is_workday(d)
    ]
    assert changed == [date(2026, 10, 10)]
    assert AuditLog.objects.filter(action=AuditAction.IMPORT, object_type="sla.CalendarDay").exists()
    # Loading again adds nothing.
    assert calendar_year_load(year=2026).created == 0
