"""The data scope, proved with personas at every level: through accounts.scope itself, through
the geo selectors every page uses, and through the API."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.accounts.enums import GridDuty, Role, ScopeKind
from gridgov.accounts.models import GridStaff
from gridgov.accounts.scope import (
    departments_visible,
    grids_visible,
    region_root_for,
    regions_visible,
    scope_filter,
    scope_for,
)
from gridgov.core.errors import NotFound
from gridgov.geo import selectors
from gridgov.geo.models import Grid, Region
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_grid_worker_reads_its_own_grid_and_not_the_neighbouring_one(world, personas):
    gw = personas.grid_worker
    assert selectors.grid_get(user=gw, code=world.grid.code) == world.grid
    with pytest.raises(NotFound):
        selectors.grid_get(user=gw, code=world.other_grid.code)
    assert list(grids_visible(gw)) == [world.grid]


def test_a_grid_worker_sees_the_regions_above_its_grid_but_none_of_their_other_parts(world, personas):
    gw = personas.grid_worker
    visible = set(regions_visible(gw).values_list("code", flat=True))
    assert {world.city.code, world.county.code, world.township.code, world.community.code} <= visible
    assert world.other_county.code not in visible
    assert selectors.region_children(user=gw, region=world.county).count() == 1
    assert list(selectors.region_grids(user=gw, region=world.city)) == [world.grid]


def test_a_grid_workers_map_starts_at_the_community_of_its_grid(world, personas):
    assert region_root_for(personas.grid_worker) == world.community


def test_a_grid_worker_without_duties_sees_nothing(world, personas):
    idle = make_user("idle_gw", Role.GRID_WORKER, center=personas.grid_worker.center)
    assert scope_for(idle).nothing
    assert not grids_visible(idle).exists()
    assert region_root_for(idle) is None


def test_a_police_officer_reads_the_grids_of_its_beat_only(world, personas):
    police = make_user("po", Role.POLICE, center=personas.grid_worker.center)
    GridStaff.objects.create(grid=world.other_grid, user=police, duty=GridDuty.POLICE)
    assert selectors.grid_get(user=police, code=world.other_grid.code) == world.other_grid
    with pytest.raises(NotFound):
        selectors.grid_get(user=police, code=world.grid.code)


def test_a_county_user_reads_its_county_and_not_another(world, personas):
    cl = personas.county_leader
    assert selectors.region_get(user=cl, code=world.county.code) == world.county
    assert selectors.grid_get(user=cl, code=world.grid.code) == world.grid
    with pytest.raises(NotFound):
        selectors.region_get(user=cl, code=world.other_county.code)
    with pytest.raises(NotFound):
        selectors.grid_get(user=cl, code=world.far_grid.code)
    with pytest.raises(NotFound):
        selectors.region_get(user=cl, code=world.city.code)


def test_a_county_user_sees_every_grid_of_its_county_and_only_those(world, personas):
    codes = set(grids_visible(personas.county_leader).values_list("code", flat=True))
    expected = set(Grid.objects.filter(code__startswith=world.county.code).values_list("code", flat=True))
    assert codes == expected
    assert world.far_grid.code not in codes


def test_a_township_dispatcher_sees_its_township_not_the_rest_of_the_county(world, personas):
    td = personas.township_dispatcher
    assert selectors.region_get(user=td, code=world.township.code) == world.township
    other_township = Region.objects.filter(parent=world.county).exclude(pk=world.township.pk).first()
    if other_township is not None:
        with pytest.raises(NotFound):
            selectors.region_get(user=td, code=other_township.code)
    with pytest.raises(NotFound):
        selectors.region_get(user=td, code=world.county.code)


def test_the_city_sees_every_county(world, personas):
    cd = personas.city_dispatcher
    assert selectors.region_get(user=cd, code=world.other_county.code) == world.other_county
    assert selectors.grid_get(user=cd, code=world.far_grid.code) == world.far_grid
    assert region_root_for(cd) == world.city


def test_a_department_sees_only_itself_among_departments(world, personas):
    assert list(departments_visible(personas.housing_handler)) == [personas.housing_handler.department]
    assert personas.housing_handler.department not in departments_visible(personas.other_handler)
    county_view = set(departments_visible(personas.county_leader))
    assert {personas.housing_handler.department, personas.other_handler.department} <= county_view
    assert not departments_visible(personas.other_county_leader).exists()


def test_a_department_reads_only_its_own_work(world, personas):
    # Work records of later domains carry a territory code and an owning department; GridStaff
    # rows stand in for them here: their grid is the code, and the user's department the owner.
    housing, other = personas.housing_handler, personas.other_handler
    records = GridStaff.objects.filter(user__in=[housing, other])
    GridStaff.objects.bulk_create(
        [
            GridStaff(grid=world.grid, user=housing, duty=GridDuty.VOLUNTEER),
            GridStaff(grid=world.grid, user=other, duty=GridDuty.VOLUNTEER),
        ]
    )
    mine = scope_filter(records, housing, code_field="grid__code", department_field="user__department")
    assert [r.user for r in mine] == [housing]
    # A reader that forgets the department shows a department nothing, not its county's work.
    assert not scope_filter(records, housing, code_field="grid__code").exists()


def test_work_is_scoped_by_territory_for_centres_and_grid_workers(world, personas):
    records = GridStaff.objects.all()
    GridStaff.objects.create(grid=world.far_grid, user=personas.grid_head, duty=GridDuty.VOLUNTEER)
    county_rows = scope_filter(records, personas.county_leader, code_field="grid__code")
    assert all(r.grid.code.startswith(world.county.code) for r in county_rows)
    assert county_rows.exists()
    gw_rows = scope_filter(records, personas.grid_worker, code_field="grid__code")
    assert {r.grid for r in gw_rows} == {world.grid}
    assert scope_filter(records, personas.admin, code_field="grid__code").count() == records.count()


def test_outsiders_inactive_and_anonymous_users_see_nothing(world, personas):
    from django.contrib.auth.models import AnonymousUser

    personas.county_leader.is_active = False
    for user in (personas.outsider, personas.county_leader, AnonymousUser()):
        assert scope_for(user).kind == ScopeKind.NOTHING
        assert not regions_visible(user).exists()
        assert not grids_visible(user).exists()


def test_a_superuser_sees_everything_even_when_bound_to_a_county(world, personas):
    admin = make_user("county_root", Role.ADMIN, center=personas.county_leader.center, is_superuser=True)
    assert scope_for(admin).everything
    assert selectors.region_get(user=admin, code=world.other_county.code) == world.other_county


def _scope(client: Client, user) -> dict:
    client.force_login(user)
    response = client.get("/api/v1/accounts/me/scope")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_tells_a_grid_worker_its_grids(client, world, personas):
    body = _scope(client, personas.grid_worker)
    assert body["kind"] == "grids"
    assert body["grid_codes"] == [world.grid.code]
    assert body["grids"] == 1
    assert body["root"]["code"] == world.community.code


def test_the_api_tells_a_county_leader_its_county(client, world, personas):
    body = _scope(client, personas.county_leader)
    assert body["kind"] == "region"
    assert body["root"] == {"code": world.county.code, "name": world.county.name, "level": "county"}
    assert body["grids"] == Grid.objects.filter(code__startswith=world.county.code).count()
    assert body["grid_codes"] == []


def test_the_api_tells_a_handler_its_department(client, world, personas):
    body = _scope(client, personas.housing_handler)
    assert body["kind"] == "department"
    assert body["department"]["code"] == personas.housing_handler.department.code
    assert body["kind_label"] == "本部门"
