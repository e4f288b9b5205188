from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.sla import calendar as calendar_module
from gridgov.sla.calendar import WorkCalendar
from gridgov.sla.selectors import calendar_cache_clear

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2026-09-30 16:00' in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> WorkCalendar:
    """The State Council's schedule as shipped, default business hours, no overrides."""
    return WorkCalendar()


@pytest.fixture(autouse=True)
def _fresh_calendar_state(monkeypatch):
    # The uncovered-year log line is written once per process; tests that look for it need a
    # process that has not warned yet. A rolled-back test must not leave its calendar cached.
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    calendar_cache_clear()
    yield
    calendar_cache_clear()
