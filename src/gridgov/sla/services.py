"""Writers of the calendar tables (the admin's own forms aside)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from gridgov.core.audit import audit_record
from gridgov.core.errors import InvalidInput
from gridgov.core.models import AuditAction
from gridgov.sla.calendar import LIBRARY_YEARS, WorkCalendar
from gridgov.sla.enums import CalendarDayOrigin
from gridgov.sla.models import CalendarDay
from gridgov.sla.selectors import calendar_cache_clear


@dataclass(frozen=True)
class YearLoad:
    year: int
    created: int
    kept: int  # dates that already had an override, left as the administrator set them


def library_schedule(year: int) -> list[tuple[date, bool, str]]:
    """The special days of `year` in chinese-calendar: holidays and make-up working days, not the
    ordinary weekends."""
    if year not in LIBRARY_YEARS:
        raise InvalidInput(
            f"chinese-calendar 没有 {year} 年的数据(支持 {LIBRARY_YEARS.start}–{LIBRARY_YEARS.stop - 1})",
            f"chinese-calendar has no data for {year} "
            f"(it covers {LIBRARY_YEARS.start}–{LIBRARY_YEARS.stop - 1})",
        )
    library_only = WorkCalendar()
    days = []
    for info in (library_only.info(date.fromordinal(o)) for o in _ordinals(year)):
        if info.name:
            days.append((info.day, info.is_workday, info.name))
    return days


def _ordinals(year: int) -> range:
    return range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)


def calendar_year_load(*, year: int, actor: Any = None) -> YearLoad:
    """Copy a year's schedule from chinese-calendar into overrides, for administrators to review
    and correct. Existing overrides win: a date already entered is left untouched."""
    schedule = library_schedule(year)
    with transaction.atomic():
        existing = set(
            CalendarDay.objects.filter(date__year=year).select_for_update().values_list("date", flat=True)
        )
        rows = [
            CalendarDay(
                date=day,
                is_workday=is_workday,
                name=name,
                note="由 chinese-calendar 载入,请对照国务院办公厅通知核对",
                origin=CalendarDayOrigin.LIBRARY,
            )
            for day, is_workday, name in schedule
            if day not in existing
        ]
        CalendarDay.objects.bulk_create(rows)
        audit_record(
            action=AuditAction.IMPORT,
            actor=actor,
            object_type="sla.CalendarDay",
            object_id=str(year),
            detail={"year": year, "created": len(rows), "kept": len(schedule) - len(rows)},
        )
        # bulk_create sends no post_save signal.
        transaction.on_commit(calendar_cache_clear)
    calendar_cache_clear()
    return YearLoad(year=year, created=len(rows), kept=len(schedule) - len(rows))
