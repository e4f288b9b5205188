"""The report's figures and words against fixtures counted by hand. Cases go through the real
services with time frozen; the worker's deadline scan and summary refresh run before generation."""

from __future__ import annotations

import pytest

from gridgov.cases.enums import CaseAction
from gridgov.core import clock
from gridgov.reports.enums import GenerationStatus, Section
from gridgov.reports.models import Report
from gridgov.reports.services import report_generate, report_request
from gridgov.reports.tables import tables_of
from tests.reports.conftest import TO_REGISTERED, act, at, close_case, make_case, refresh


def generate(world, actor, kind: str, day):
    b, queued = report_request(actor=actor, kind=kind, region=world.county, day=day, now=clock.now())
    assert queued
    version = report_generate(report_id=b.pk, now=clock.now())
    assert version is not None
    return Report.objects.get(pk=b.pk), version


@pytest.fixture
def two_days(world, personas, seat, housing_bureau, clock_at):
    """Monday 2 March 2026: four cases reported in the county and left unaccepted. Tuesday: six,
    registered; two of them closed the same day through the whole loop."""
    clock_at(at(2026, 3, 2, 9))
    monday = [make_case(seat, world.grid, title=f"周一事件{i}") for i in range(4)]
    clock_at(at(2026, 3, 3, 9))
    tuesday = [make_case(seat, world.grid, title=f"周二事件{i}", until=TO_REGISTERED) for i in range(6)]
    clock_at(at(2026, 3, 3, 10))
    for case in tuesday[:2]:
        close_case(personas, seat, case.number, housing_bureau.code)
    clock_at(at(2026, 3, 4, 0, 30))  # Wednesday just after midnight: Tuesday's report is due
    refresh()
    return monday, tuesday


def test_the_daily_report_counts_the_day_and_says_it_in_plain_words(world, seat, two_days):
    monday, tuesday = two_days
    b, v = generate(world, seat, "daily", at(2026, 3, 3).date())
    assert b.status == GenerationStatus.READY and v.number == 1 and v.state == "draft"
    figures = {i["name"]: i for i in v.data["indicators"]}
    # 4 on Monday, 6 on Tuesday: +50 %. Two closed, both within their deadlines.
    assert (figures["intake"]["value"], figures["intake"]["previous"]) == (6, 4)
    assert figures["intake"]["mom"] == pytest.approx(0.5)
    assert figures["closed"]["value"] == 2
    assert figures["closure_rate"]["value"] == pytest.approx(100.0)
    assert figures["on_time_handling_rate"]["value"] == pytest.approx(100.0)
    # The eight left open are all past their first clock (contact within one working hour).
    overdue = [c.number for c in monday] + [c.number for c in tuesday[2:]]
    assert figures["overdue"]["value"] == 8
    assert [r["number"] for r in v.data["overdue"]] == overdue

    text = {s["key"]: s["text"] for s in v.sections}
    assert list(text) == [Section.OVERVIEW, Section.CHANGES, Section.CATEGORIES, Section.OVERDUE]
    assert text[Section.OVERVIEW].startswith(
        "2026年3月3日,城关区共受理各类事件 6 件,环比上升 50.0%,去年同期为 0。"
    )
    assert "办结 2 件(上期为 0),结案率 100.0%" in text[Section.OVERVIEW]
    assert "超期未办结事件 8 件" in text[Section.OVERVIEW]
    assert "上升的有:受理量上升 50.0%" in text[Section.CHANGES]
    assert "城乡建设 6 件(占 100.0%)" in text[Section.CATEGORIES]
    assert f"共有 8 件事件超期未办结。超期最久的是 {monday[0].number}(周一事件0" in text[Section.OVERDUE]

    tables = {t.key: t for t in tables_of(v.data)}
    assert [row[0] for row in tables["overdue"].rows] == overdue
    assert tables["summary"].rows[0][:4] == ("受理量", 6.0, "件", 4.0)
    assert tables["summary"].rows[0][4] == "上升 50.0%"


@pytest.fixture
def march(world, personas, seat, housing_bureau, clock_at):
    """March 2026: two cases in one grid, one sent to the housing bureau (reported back within the
    hour), one to the city-management bureau (reported back a week later, past three working
    days)."""
    urban = personas.other_handler.department
    clock_at(at(2026, 3, 2, 9))
    quick = make_case(seat, world.grid, title="墙体开裂", until=TO_REGISTERED)
    slow = make_case(seat, world.grid, title="占道经营", until=TO_REGISTERED)
    act(seat, quick.number, CaseAction.DISPATCH, department_code=housing_bureau.code)
    act(seat, slow.number, CaseAction.DISPATCH, department_code=urban.code)
    clock_at(at(2026, 3, 2, 10))
    act(personas.housing_handler, quick.number, CaseAction.HANDLE)
    act(personas.housing_handler, quick.number, CaseAction.REPORT_BACK, note="已修复")
    clock_at(at(2026, 3, 9, 10))
    act(personas.other_handler, slow.number, CaseAction.HANDLE)
    act(personas.other_handler, slow.number, CaseAction.REPORT_BACK, note="已清理")
    clock_at(at(2026, 4, 1, 0, 30))
    refresh()
    return quick, slow


def test_the_monthly_report_ranks_departments_by_on_time_rate_and_names_the_worst(
    world, personas, housing_bureau, seat, march
):
    urban, housing = personas.other_handler.department.name, housing_bureau.name
    b, v = generate(world, seat, "monthly", at(2026, 3, 15).date())
    assert (b.period_start.isoformat(), b.period_end.isoformat()) == ("2026-03-01", "2026-03-31")
    figures = {i["name"]: i for i in v.data["indicators"]}
    assert figures["on_time_handling_rate"]["value"] == pytest.approx(50.0)  # 1 of 2 on time
    ranking = [(r["label"], r["values"]["on_time_handling_rate"]["value"]) for r in v.data["departments"]]
    assert ranking == [(urban, 0.0), (housing, 100.0)]  # worst first
    text = {s["key"]: s["text"] for s in v.sections}
    assert f"按期处置率低于城关区整体水平(50.0%)的部门:{urban}(0.0%)。" in text[Section.DEPARTMENTS]
    assert f"按期处置率最高的是{housing}(100.0%)" in text[Section.DEPARTMENTS]
    # Both cases lie in one grid: a place that repeats.
    assert v.data["places"] == [
        {"code": world.grid.code, "name": world.grid.name, "count": 2, "category": "城乡建设"}
    ]
    assert (
        f"本期有 1 个网格重复发生事件,较多的是:{world.grid.name}(2 件,以城乡建设为主)" in text[Section.PLACES]
    )
    assert f"是{urban}要加快处置进度" in text[Section.REMARKS] and housing not in text[Section.REMARKS]
    assert {c.key for c in v.charts.all()} >= {"volumes", "trend", "departments", "categories"}
    dept_table = {t.key: t for t in tables_of(v.data)}["departments"]
    assert [row[:2] for row in dept_table.rows] == [(1, urban), (2, housing)]


def test_asking_twice_for_one_period_gives_the_same_report_and_generating_twice_changes_nothing(
    world, seat, two_days
):
    b, _ = generate(world, seat, "daily", at(2026, 3, 3).date())
    again, queued = report_request(
        actor=seat, kind="daily", region=world.county, day=at(2026, 3, 3).date(), now=clock.now()
    )
    assert (again.pk, queued) == (b.pk, False)
    assert report_generate(report_id=b.pk, now=clock.now()) is None
    assert b.versions.count() == 1
    # Asked to regenerate: fresh figures become the next version, the first stays.
    _, queued = report_request(
        actor=seat,
        kind="daily",
        region=world.county,
        day=at(2026, 3, 3).date(),
        now=clock.now(),
        regenerate=True,
    )
    assert queued
    assert report_generate(report_id=b.pk, now=clock.now()).number == 2
    assert list(b.versions.values_list("number", flat=True)) == [1, 2]
