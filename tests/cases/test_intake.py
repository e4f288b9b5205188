"""Intake: one endpoint for every channel; located, numbered, routed, owned."""

from __future__ import annotations

import re

import pytest

from gridgov.accounts.models import Center
from gridgov.cases.enums import CaseAction, CaseStatus, RoutingTarget
from gridgov.cases.models import Case, CaseEvent, RoutingRule
from tests.cases.conftest import BEIJING, Api, case_body, case_of, leaf_category, ok

pytestmark = pytest.mark.django_db


def test_a_city_dispatcher_registers_a_hotline_case_placed_in_its_grid(world, personas, monday):
    body = ok(Api(personas.city_dispatcher).create(case_body(world)), 201)
    assert re.fullmatch(rf"{world.county.code}-20260302-\d{{4}}", body["number"])
    assert body["location"]["grid"]["code"] == world.grid.code
    assert body["location"]["region"]["code"] == world.community.code
    assert body["location"]["outside_city"] is False
    assert body["status"] == CaseStatus.RECEIVED
    assert body["owner_center"]["code"] == world.city.code  # 首问负责: the receiving centre keeps it
    assert body["external_refs"] == {"12345": "GS-2026-000123"}
    case = case_of(body["number"])
    assert list(case.events.values_list("action", flat=True)) == [CaseAction.CREATE]
    assert case.colour == "green" and case.due_at is not None


def test_numbers_count_up_per_region_and_day(world, personas, monday):
    api = Api(personas.city_dispatcher)
    first = ok(api.create(case_body(world)), 201)["number"]
    second = ok(api.create(case_body(world, title="另一件")), 201)["number"]
    assert int(second[-4:]) == int(first[-4:]) + 1
    assert second[:-4] == first[:-4]


def test_a_case_outside_the_city_goes_to_the_city_centre_and_is_flagged(world, personas, monday):
    body = case_body(world, location={"lon": BEIJING[0], "lat": BEIJING[1]})
    created = ok(Api(personas.township_dispatcher).create(body), 201)
    case = case_of(created["number"])
    assert case.outside_city is True
    assert case.grid is None
    assert case.owner_center.region == world.city
    assert case.territory_code == world.city.code
    # Never lost: the city dispatcher sees it in its list.
    listed = ok(Api(personas.city_dispatcher).list(text=created["number"]))
    assert [c["number"] for c in listed["items"]] == [created["number"]]


def test_a_township_dispatcher_keeps_a_case_of_its_own_township(world, personas, monday):
    created = ok(Api(personas.township_dispatcher).create(case_body(world)), 201)
    assert created["owner_center"]["code"] == world.township.code
    assert created["level"] == "township"
    assert created["routed_department"] is None


def test_a_routing_rule_proposes_the_department_and_dispatch_follows_it(
    world, personas, housing_bureau, monday
):
    RoutingRule.objects.create(
        region=world.county,
        category=leaf_category("0101").parent,
        target=RoutingTarget.DEPARTMENT,
        department=housing_bureau,
    )
    api = Api(personas.city_dispatcher)
    created = ok(api.create(case_body(world)), 201)
    assert created["routed_department"]["code"] == housing_bureau.code
    number = created["number"]
    for action in ("accept", "verify", "register", "dispatch"):
        ok(api.act(number, action))
    case = case_of(number)
    assert case.status == CaseStatus.DISPATCHED
    assert case.owner_department == housing_bureau


def test_without_a_rule_the_case_stays_with_the_centre_and_dispatch_needs_a_department(
    world, personas, monday
):
    api = Api(personas.township_dispatcher)
    number = ok(api.create(case_body(world)), 201)["number"]
    for action in ("accept", "verify", "register"):
        ok(api.act(number, action))
    response = api.act(number, "dispatch")
    assert response.status_code == 422
    assert response.json()["code"] == "missing_field"
    assert case_of(number).status == CaseStatus.REGISTERED


def test_a_rule_to_a_centre_hands_the_case_to_that_centre(world, personas, monday):
    county_center = Center.objects.get(region=world.county)
    RoutingRule.objects.create(
        region=world.county, category=leaf_category("0101"), target=RoutingTarget.CENTER, center=county_center
    )
    created = ok(Api(personas.city_dispatcher).create(case_body(world)), 201)
    assert created["owner_center"]["code"] == world.county.code
    assert created["level"] == "county"


def test_handlers_and_unbound_users_cannot_register_cases(world, personas, monday):
    before = Case.objects.count()
    for user in (personas.housing_handler, personas.outsider):
        response = Api(user).create(case_body(world))
        assert response.status_code == 403, user
        assert response.json()["code"] == "intake_forbidden"
    assert Case.objects.count() == before


def test_an_anonymous_caller_gets_401(world, personas):
    from django.test import Client

    assert Client().post("/api/v1/cases", "{}", content_type="application/json").status_code == 401


def test_a_grid_worker_reports_from_its_grid_and_the_community_centre_owns_it(world, personas, monday):
    created = ok(Api(personas.grid_worker).create(case_body(world, channel="grid_worker")), 201)
    assert created["owner_center"]["code"] == world.community.code
    assert created["level"] == "community"
    assert CaseEvent.objects.filter(case__number=created["number"]).count() == 1


def test_a_position_sent_in_gcj02_is_stored_in_wgs84_and_placed_in_its_grid(world, personas, monday):
    # Chinese map SDKs answer in GCJ-02, about 500 m off WGS84 around Lanzhou; stored raw, the
    # case would sit beside its grid on every map.
    from gridgov.geo.coords import wgs84_to_gcj02
    from tests.cases.conftest import inside

    lon, lat = inside(world.grid)
    gx, gy = wgs84_to_gcj02([lon], [lat])
    body = case_body(world, location={"lon": float(gx[0]), "lat": float(gy[0]), "crs": "gcj02"})
    created = ok(Api(personas.city_dispatcher).create(body), 201)
    case = case_of(created["number"])
    assert case.crs == "gcj02"
    assert case.lon == pytest.approx(lon, abs=1e-6) and case.lat == pytest.approx(lat, abs=1e-6)
    assert case.grid == world.grid
