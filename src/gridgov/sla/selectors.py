"""Reading the calendar the administrators configured, cached per process.

Each call checks a version stamp (row counts and latest edit times of the two small tables):
one cheap query, so an edit made in the admin by another process (a web worker, the task
worker) is seen on the next call. Edits made in this process also drop the cache at once,
through the signals in signals.py.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from gridgov.sla.calendar import Override, WorkCalendar
from gridgov.sla.models import BusinessHours, CalendarDay

_lock = threading.Lock()
_cached: tuple[Any, WorkCalendar] | None = None


def _version() -> tuple[Any, ...]:
    days = CalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    hours = BusinessHours.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (days["n"], days["last"], days["top"], hours["n"], hours["last"])


def business_hours() -> BusinessHours:
    """The configured row, or an unsaved one carrying the model defaults."""
    return BusinessHours.objects.filter(key="default").first() or BusinessHours()


def _load() -> WorkCalendar:
    overrides = {
        d: Override(is_workday=w, name=n)
        for d, w, n in CalendarDay.objects.values_list("date", "is_workday", "name")
    }
    return WorkCalendar(overrides=overrides, periods=business_hours().periods)


def current_calendar() -> WorkCalendar:
    global _cached
    version = _version()
    with _lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
    calendar = _load()
    with _lock:
        _cached = (version, calendar)
    return calendar


def calendar_cache_clear() -> None:
    global _cached
    with _lock:
        _cached = None
