"""Reading the calendar the administrators configured, cached per process.

Freshness is checked through a version stamp (row counts and latest edit times of the two small
tables), at most once a second per process: an edit made in the admin by another process (a web
worker, the task worker) is seen within a second, and a service call that asks for the calendar
several times pays for no query at all most of the time.

Edits made in this process drop the cache at once (signals.py, and services.py for bulk loads),
and until such an edit is known to be committed every call checks the stamp again, as the
uncommitted edit may still be rolled back (a test's transaction, an admin form that fails): a
cached calendar must never outlive the data it was built from by more than that second.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max

from gridgov.sla.calendar import Override, WorkCalendar
from gridgov.sla.models import BusinessHours, CalendarDay

# How long a checked calendar is trusted without looking at the stamp again.
CHECK_EVERY_SECONDS = 1.0

_lock = threading.Lock()
_cached: tuple[Any, WorkCalendar] | None = None
_checked_at = float("-inf")  # time.monotonic() of the last stamp check
# Edits of this process not yet known to be committed: while any, every call checks the stamp.
_uncommitted_edits = 0


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
    global _cached, _checked_at, _uncommitted_edits
    now = time.monotonic()
    with _lock:
        cached, strict = _cached, _uncommitted_edits > 0
        if cached is not None and not strict and now - _checked_at < CHECK_EVERY_SECONDS:
            return cached[1]
    version = _version()
    with _lock:
        if strict and not connection.in_atomic_block:
            # Outside any transaction we read committed data: whatever was rolled back is gone.
            _uncommitted_edits = 0
        if _cached is not None and _cached[0] == version:
            _checked_at = now
            return _cached[1]
    calendar = _load()
    with _lock:
        _cached, _checked_at = (version, calendar), now
    return calendar


def _edit_committed() -> None:
    global _cached, _uncommitted_edits
    with _lock:
        _cached = None
        _uncommitted_edits = max(0, _uncommitted_edits - 1)


def calendar_cache_clear() -> None:
    """Called on every edit of the overrides or the business hours made in this process."""
    global _cached, _checked_at, _uncommitted_edits
    with _lock:
        _cached, _checked_at = None, float("-inf")
        if not connection.in_atomic_block:
            return  # in autocommit mode an edit is committed already
        _uncommitted_edits += 1
    # Once the edit is committed the stamp can be trusted for a second again; an edit that is
    # rolled back leaves this process checking on every call until it reads outside a transaction.
    transaction.on_commit(_edit_committed)
