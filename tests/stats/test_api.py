"""/api/v1/stats: the caller's scope by default, 403 outside it, 4xx for bad filters, and the
same figures as `indicators.compute`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from gridgov.stats.indicators import Period, Scope, compute
from gridgov.stats.services import stats_refresh
from tests.cases.conftest import MONDAY, Api, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world, personas, loop):
    with time_machine.travel(MONDAY, tick=False) as t:
        near = loop.create()
        loop.dispatch(near)
        loop.create(grid=world.far_grid)
        t.shift(timedelta(hours=4))
        loop.report_back(near)
        loop.check_and_close(near)
        stats_refresh()
        yield


def test_a_county_leader_gets_their_county_by_default(world, personas, cases):
    body = ok(Api(personas.county_leader).client.get("/api/v1/stats/indicators"))
    assert body["scope"]["region"] == world.county.code
    assert body["period"] == {"start": MONDAY.date().isoformat(), "end": MONDAY.date().isoformat()}
    ind = body["indicators"]
    assert ind["intake"]["value"] == 1 and ind["closed"]["value"] == 1
    assert ind["closure_rate"] == {
        "label": "结案率", "label_en": "closure rate", "unit": "%", "value": 100.0,
        "numerator": 1.0, "denominator": 1.0, "yoy": None, "mom": None,
    }  # fmt: skip
    expected = compute(scope=Scope(region=world.county), period=Period.day(MONDAY.date()))
    assert {k: v["value"] for k, v in ind.items()} == {k: v.value for k, v in expected.items()}


def test_another_county_is_403_and_the_city_sees_both(world, personas, cases):
    leader = Api(personas.county_leader)
    r = leader.client.get("/api/v1/stats/indicators", {"region": world.other_county.code})
    assert r.status_code == 403 and " / " in r.json()["message"]
    assert (
        leader.client.get("/api/v1/stats/breakdown", {"by": "region", "region": world.city.code}).status_code
        == 403
    )
    body = ok(Api(personas.city_dispatcher).client.get("/api/v1/stats/indicators", {"names": "intake"}))
    assert list(body["indicators"]) == ["intake"] and body["indicators"]["intake"]["value"] == 2
    far = ok(
        Api(personas.city_dispatcher).client.get(
            "/api/v1/stats/indicators", {"region": world.other_county.code}
        )
    )
    assert far["indicators"]["intake"]["value"] == 1


def test_a_department_handler_sees_only_their_department(world, personas, cases, housing_bureau):
    handler = Api(personas.housing_handler)
    body = ok(handler.client.get("/api/v1/stats/indicators", {"names": "intake,closed"}))
    assert body["scope"]["department"] == housing_bureau.pk
    assert (body["indicators"]["intake"]["value"], body["indicators"]["closed"]["value"]) == (1, 1)
    other = Api(personas.other_handler)
    assert (
        ok(other.client.get("/api/v1/stats/indicators", {"names": "intake"}))["indicators"]["intake"]["value"]
        == 0
    )
    r = other.client.get("/api/v1/stats/indicators", {"department": housing_bureau.pk})
    assert r.status_code == 403


def test_grid_workers_and_unbound_users_read_no_indicators(personas, cases):
    assert Api(personas.grid_worker).client.get("/api/v1/stats/indicators").status_code == 403
    assert Api(personas.outsider).client.get("/api/v1/stats/indicators").status_code == 403


def test_the_breakdown_lists_the_rows_with_their_indicators(world, personas, cases, housing_bureau):
    body = ok(
        Api(personas.county_leader).client.get(
            "/api/v1/stats/breakdown",
            {"by": "department", "start": "2026-03-01", "end": "2026-03-31", "names": "intake,closure_rate"},
        )
    )
    assert body["by"] == "department" and body["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    rows = {r["key"]: r for r in body["rows"]}
    assert rows[str(housing_bureau.pk)]["label"] == housing_bureau.name
    assert rows[str(housing_bureau.pk)]["indicators"]["intake"]["value"] == 1
    assert set(rows[str(housing_bureau.pk)]["indicators"]) == {"intake", "closure_rate"}
    days = ok(
        Api(personas.county_leader).client.get(
            "/api/v1/stats/breakdown", {"by": "day", "start": "2026-03-01"}
        )
    )
    assert [r["key"] for r in days["rows"]] == ["2026-03-01"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"by": "colour"}, 422, "breakdown_unknown"),
        ({"by": "region", "names": "intake,nonsense"}, 422, "indicator_unknown"),
        ({"by": "region", "start": "2026-03-05", "end": "2026-03-01"}, 422, "period_reversed"),
        ({"by": "region", "region": "999999"}, 404, "region_not_found"),
        ({"by": "region", "category": "zz"}, 404, "category_not_found"),
        ({"by": "region", "department": 99999}, 404, "department_not_found"),
        ({"by": "region", "channel": "pigeon"}, 422, "invalid_input"),
        ({"by": "region", "start": "yesterday"}, 422, "invalid_input"),
    ],
)
def test_bad_filters_are_4xx_with_a_reason(personas, cases, params, status, code):
    r = Api(personas.city_dispatcher).client.get("/api/v1/stats/breakdown", params)
    assert r.status_code == status, r.content
    assert r.json()["code"] == code


def test_periods_have_their_calendar_neighbours():
    march = Period.month_of(date(2026, 3, 17))
    assert (march.start, march.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert march.year_ago() == Period(date(2025, 3, 1), date(2025, 3, 31))
    q = Period.quarter_of(date(2026, 5, 2))
    assert q == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert q.previous() == Period(date(2026, 1, 1), date(2026, 3, 31))
    week = Period.week_of(date(2026, 3, 4))
    assert week == Period(date(2026, 3, 2), date(2026, 3, 8))
    assert week.previous() == Period(date(2026, 2, 23), date(2026, 3, 1))
    assert Period.day(date(2024, 2, 29)).year_ago() == Period.day(date(2023, 2, 28))
