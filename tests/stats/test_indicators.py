"""The indicators against a hand-computed fixture: cases driven through the real services with
time frozen, the summary tables kept by the event reader, every figure counted by hand."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Department
from gridgov.cases.models import Case
from gridgov.cases.tasks import scan_deadlines
from gridgov.core import clock
from gridgov.stats.indicators import INDICATORS, Period, Scope, breakdown, compute
from gridgov.stats.services import stats_rebuild, stats_refresh, stats_verify
from tests.cases.conftest import Api, ok
from tests.conftest import _center, make_user

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MARCH = Period.month_of(date(2026, 3, 1))


def at(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=SH)


@pytest.fixture
def story(world, personas, loop):
    """Eight cases of March 2026 in the county (one more in the other county), one of February
    and one of March 2025, each taken as far as the comment says. Refreshed as it goes, so the
    reader takes back and re-adds what a reopening or a late rating changes."""
    community_desk = Api(make_user("community-desk", Role.DISPATCHER, center=_center(world.community)))
    station = Department.objects.create(
        region=world.community, code=f"{world.community.code}-GZZ", name="社区工作站", short_name="工作站"
    )
    station_handler = Api(make_user("station-handler", Role.HANDLER, department=station))
    with time_machine.travel(at(3, 4, 9, year=2025), tick=False) as t:
        loop.create()  # a year ago: intake only
        t.move_to(at(2, 3, 9))
        loop.create()  # the month before: intake only
        stats_refresh()
        t.move_to(at(3, 2, 9))  # Monday 2 March 2026
        n = {k: loop.create() for k in "ABCDG"}
        n["E"] = loop.create()
        n["F"] = loop.create(grid=world.far_grid)  # the other county
        n["H"] = loop.create(desk=community_desk)  # a community case
        t.move_to(at(3, 2, 10))
        ok(loop.desk.act(n["E"], "reject", reason="不属于受理范围"))
        for k in "ABCDG":
            for action in ("accept", "verify", "register"):
                ok(loop.desk.act(n[k], action))
        for action in ("accept", "verify", "register"):
            ok(community_desk.act(n["H"], action))
        t.move_to(at(3, 2, 11))
        for k in "ABCDG":
            ok(loop.desk.act(n[k], "dispatch", department=loop.bureau.code))
        ok(community_desk.act(n["H"], "dispatch", department=station.code))
        stats_refresh()
        t.move_to(at(3, 3, 9))  # Tuesday: A, G and H reported on time
        for k in "AG":
            loop.report_back(n[k])
        ok(station_handler.act(n["H"], "handle"))
        ok(station_handler.act(n["H"], "report_back", note="已调解"))
        t.move_to(at(3, 3, 10))
        for k in "AG":
            loop.check_and_close(n[k])
        ok(loop.worker.act(n["H"], "check", passed=True))
        ok(community_desk.act(n["H"], "close"))
        t.move_to(at(3, 3, 11))
        loop.follow_up(n["A"], "satisfied")
        loop.follow_up(n["G"], "unsatisfied")  # reopened, redo 1, stays open
        stats_refresh()
        t.move_to(at(3, 9, 9))  # next Monday: B and C late; D and G overdue
        scan_deadlines(now=clock.now())
        loop.report_back(n["B"])
        loop.report_back(n["C"])
        t.move_to(at(3, 9, 10))
        loop.check_and_close(n["B"])
        loop.check_and_close(n["C"])
        t.move_to(at(3, 9, 11))
        loop.follow_up(n["B"], "unsatisfied")  # reopened: its finish clock starts again
        stats_refresh()
        t.move_to(at(3, 10, 9))
        loop.report_back(n["B"], start=False)
        t.move_to(at(3, 10, 10))
        loop.check_and_close(n["B"])
        t.move_to(at(3, 10, 11))
        loop.follow_up(n["B"], "basically_satisfied")
        stats_refresh()
        yield {**n, "station": station.pk}


def test_the_county_month_matches_the_hand_count(world, story):
    v = compute(scope=Scope(region=world.county), period=MARCH)
    assert set(v) == set(INDICATORS)
    count = {k: v[k].value for k in ("intake", "in_progress", "closed", "overdue")}
    # Open now: D and G, and the two older cases never taken on (all four red by now).
    assert count == {"intake": 7, "in_progress": 4, "closed": 4, "overdue": 4}
    # A, H on time; B on time after its reopening restarted the clock; C late.
    assert (v["on_time_handling_rate"].numerator, v["on_time_handling_rate"].denominator) == (3, 4)
    assert v["on_time_handling_rate"].value == pytest.approx(75.0)
    # Due for closure: A, B, C, H (closed) and D, G (deadline passed, open).
    assert (v["closure_rate"].numerator, v["closure_rate"].denominator) == (4, 6)
    assert (v["on_time_closure_rate"].numerator, v["on_time_closure_rate"].denominator) == (3, 6)
    assert v["on_time_closure_rate"].value == pytest.approx(50.0)
    # Rated: A satisfied, B basically satisfied (its last rating), G unsatisfied.
    assert (v["satisfaction_rate"].numerator, v["satisfaction_rate"].denominator) == (2, 3)
    assert (v["redo_rate"].numerator, v["redo_rate"].denominator) == (1, 4)  # B
    assert v["avg_hours_to_accept"].value == pytest.approx(1.0)  # six accepted, an hour each
    assert v["avg_hours_to_accept"].denominator == 6
    assert v["avg_hours_to_dispatch"].value == pytest.approx(2.0)
    # A 25 h, H 25 h, C 169 h, B 193 h from intake to (last) closure.
    assert v["avg_hours_to_close"].value == pytest.approx((25 + 25 + 169 + 193) / 4)
    assert (v["self_handled_rate"].numerator, v["self_handled_rate"].denominator) == (1, 4)  # H


def test_year_on_year_and_month_on_month_compare_the_same_days(world, story):
    v = compute(scope=Scope(region=world.county), period=MARCH, names=["intake", "closed", "in_progress"])
    # Today is 10 March: March 1–10 against February 1–10 and March 1–10 2025, one case each.
    assert v["intake"].mom == pytest.approx(6.0)
    assert v["intake"].yoy == pytest.approx(6.0)
    assert v["closed"].mom is None  # nothing closed before: no relative change
    assert v["in_progress"].yoy is None and v["in_progress"].mom is None  # a state has no history


def test_the_city_holds_the_other_county_and_the_department_only_its_cases(world, story, housing_bureau):
    assert compute(scope=Scope(region=world.city), period=MARCH, names=["intake"])["intake"].value == 8
    dept = Scope(region=world.city, department_id=housing_bureau.pk)
    v = compute(scope=dept, period=MARCH, names=["intake", "closed", "in_progress"])
    assert (v["intake"].value, v["closed"].value, v["in_progress"].value) == (5, 3, 2)
    # By child region, one filter: the counties' rollups by department; a community's grids
    # (below the rollups' depth): the fine cells. Both give the same figures.
    rows = {
        r.key: r.values
        for r in breakdown(scope=dept, period=MARCH, by="region", names=["intake", "in_progress"])
    }
    assert (
        rows[world.county.prefix]["intake"].value == 5
        and rows[world.other_county.prefix]["intake"].value == 0
    )
    assert rows[world.county.prefix]["in_progress"].value == 2
    grids = breakdown(
        scope=Scope(region=world.community, department_id=housing_bureau.pk), period=MARCH, by="region",
        names=["intake"],
    )  # fmt: skip
    assert {r.key: r.values["intake"].value for r in grids}[world.grid.code] == 5


def test_breakdowns_split_the_totals(world, story, housing_bureau):
    scope = Scope(region=world.county)
    by_region = breakdown(scope=scope, period=MARCH, by="region", names=["intake", "closed"])
    assert sum(r.values["intake"].value for r in by_region) == 7
    assert {r.key for r in by_region} >= {world.township.prefix}
    by_dept = {r.key: r for r in breakdown(scope=scope, period=MARCH, by="department", names=["intake"])}
    assert by_dept[str(housing_bureau.pk)].values["intake"].value == 5
    assert by_dept[str(story["station"])].values["intake"].value == 1
    assert by_dept["0"].values["intake"].value == 1 and by_dept["0"].label == "未派遣部门"
    by_channel = breakdown(scope=scope, period=MARCH, by="channel", names=["intake"])
    assert [(r.key, r.label, r.values["intake"].value) for r in by_channel] == [
        ("hotline_12345", "12345热线", 7)
    ]
    by_cat = breakdown(scope=scope, period=MARCH, by="category", names=["intake"])
    assert len(by_cat) == 1 and by_cat[0].values["intake"].value == 7
    days = {r.key: r for r in breakdown(scope=scope, period=MARCH, by="day", names=["intake", "closed"])}
    assert sorted(days) == [f"2026-03-{d:02d}" for d in range(1, 11)]
    assert days["2026-03-02"].values["intake"].value == 7
    assert [days[f"2026-03-{d:02d}"].values["closed"].value for d in (3, 9, 10)] == [2, 1, 1]


def test_a_community_scope_breaks_down_by_grid(world, story):
    rows = breakdown(scope=Scope(region=world.community), period=MARCH, by="region", names=["intake"])
    by_key = {r.key: r.values["intake"].value for r in rows}
    assert by_key[world.grid.code] == 7 and by_key[world.other_grid.code] == 0


def test_a_filter_by_category_and_channel_reads_the_same_as_without(world, story):
    from gridgov.cases.models import Category

    leaf = Category.objects.get(code="0101")
    for scope in (
        Scope(region=world.county, category_id=leaf.pk),
        Scope(region=world.county, category_id=leaf.parent_id),
        Scope(region=world.county, channel="hotline_12345"),
        Scope(region=world.community, channel="hotline_12345"),
    ):
        v = compute(scope=scope, period=MARCH, names=["intake", "closure_rate", "in_progress"])
        assert (v["intake"].value, v["closure_rate"].numerator, v["in_progress"].value) == (7, 4, 4)
    none = compute(
        scope=Scope(region=world.county, channel="petition"), period=MARCH, names=["intake", "redo_rate"]
    )
    assert none["intake"].value == 0 and none["redo_rate"].value is None


def test_the_tables_agree_with_a_recount_and_a_rebuild_changes_no_figure(world, story):
    assert stats_verify() == []
    before = compute(scope=Scope(region=world.county), period=MARCH)
    stats_rebuild()
    assert stats_verify() == []
    assert compute(scope=Scope(region=world.county), period=MARCH) == before
    assert Case.objects.count() == 10
