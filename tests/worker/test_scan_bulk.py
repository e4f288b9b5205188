"""The deadline scan ticks its cases in bulk, chunk by chunk, with the same outcome per case as
one tick at a time: one recolour event and one sheet per change, nothing for a case whose colour
did not change; a chunk that fails in bulk is done again case by case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.cases import tasks
from gridgov.cases.enums import CaseAction
from gridgov.cases.models import CaseEvent, Notice
from gridgov.core import clock
from tests.cases.conftest import Api, case_body, case_of, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_cases(world, personas, monday) -> list[str]:
    """Two cases received at 09:00 and one at 09:30: their one-hour contact clocks run."""
    desk = Api(personas.city_dispatcher)
    numbers = [ok(desk.create(case_body(world, title=f"第{i}件")), 201)["number"] for i in range(2)]
    monday.shift(timedelta(minutes=30))
    numbers.append(ok(desk.create(case_body(world, title="第3件")), 201)["number"])
    monday.shift(timedelta(minutes=20))  # 09:50: 50 of 60 minutes used by the first two
    return numbers


def recolours(number: str) -> list[list[str]]:
    events = CaseEvent.objects.filter(case__number=number, action=CaseAction.RECOLOUR).order_by("id")
    return [e.data["colour"] for e in events]


def sheets(number: str) -> list[str]:
    return list(Notice.objects.filter(case__number=number).order_by("id").values_list("kind", flat=True))


def test_chunks_recolour_each_due_case_once_with_its_event_and_sheet(three_cases):
    first, second, third = three_cases
    assert tasks.scan_deadlines(now=clock.now(), chunk=2) == {"due": 2, "changed": 2, "escalated": 0}
    for number in (first, second):
        assert case_of(number).colour == "yellow"
        assert recolours(number) == [["green", "yellow"]]
        assert sheets(number) == ["warning"]
        assert case_of(number).version == 2
    assert case_of(third).colour == "green" and recolours(third) == [] and sheets(third) == []
    assert tasks.scan_deadlines(now=clock.now(), chunk=2)["changed"] == 0  # nothing twice


def test_a_case_whose_colour_stays_is_not_written(three_cases, monday):
    first, _, third = three_cases
    # Ticked in one chunk with a case that changes: its colour stays, so its row is not written.
    before = case_of(third)
    changed, _ = tasks._tick_chunk([first, third], clock.now())
    assert changed == 1
    after = case_of(third)
    assert (after.version, after.updated_at, after.colour) == (before.version, before.updated_at, "green")


def test_a_chunk_that_fails_in_bulk_is_done_again_case_by_case(three_cases, monkeypatch, caplog):
    first, second, _ = three_cases

    def broken(cases):
        raise RuntimeError("the bulk write failed")

    monkeypatch.setattr(tasks, "_write_recolours", broken)
    assert tasks.scan_deadlines(now=clock.now())["changed"] == 2
    for number in (first, second):
        assert recolours(number) == [["green", "yellow"]]
        assert sheets(number) == ["warning"]
    assert "ticking it case by case" in caplog.text
