"""Helpers of the report tests: cases driven through the real services by a county seat with
time frozen, the summary tables brought up to date, and generation run in-process."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from gridgov.cases.enums import CaseAction
from gridgov.cases.tasks import deadline_scan
from gridgov.stats.services import stats_refresh
from tests.cases.conftest import SHANGHAI, _media, _pii_keys, _quick_passwords  # noqa: F401  (autouse)
from tests.cases_pages.conftest import TO_REGISTERED, act, make_case, seat  # noqa: F401

IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
}


def at(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock_at():
    """Travel to a moment, frozen; call again to move."""
    travellers = []

    def go(when: datetime) -> None:
        if travellers:
            travellers.pop().stop()
        t = time_machine.travel(when, tick=False)
        t.start()
        travellers.append(t)

    yield go
    for t in travellers:
        t.stop()


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run where they are enqueued (after commit), as the worker would run them."""
    settings.TASKS = IMMEDIATE


def close_case(personas, desk, number: str, department_code: str) -> None:
    """The whole loop: the county seat dispatches, the bureau handles and reports back, the grid
    worker checks, the seat closes."""
    act(desk, number, CaseAction.DISPATCH, department_code=department_code)
    act(personas.housing_handler, number, CaseAction.HANDLE)
    act(personas.housing_handler, number, CaseAction.REPORT_BACK, note="已修复")
    act(personas.grid_worker, number, CaseAction.CHECK, passed=True)
    act(desk, number, CaseAction.CLOSE)


def refresh() -> None:
    """What the worker does continuously: colours from the deadline scan, then the summaries."""
    deadline_scan.call()
    stats_refresh()
