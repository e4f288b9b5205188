"""The territory browser: drill-down, scope, and the map drawn in a real browser."""

from __future__ import annotations

import json

import pytest
import shapely
from django.urls import reverse

from gridgov.geo.models import Grid, Region
from tests.conftest import browser_login


def test_a_county_leader_lands_on_the_county_and_sees_its_townships(client, personas, world):
    client.force_login(personas.county_leader)
    response = client.get(reverse("territory"))
    assert response.status_code == 302
    assert response["Location"] == reverse("region", args=[world.county.code])
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    for township in Region.objects.filter(parent=world.county):
        assert township.name in html
    assert world.other_county.name not in html.split('id="children"')[1]


def test_a_county_leader_cannot_open_another_county_or_its_grids(client, personas, world):
    client.force_login(personas.county_leader)
    assert client.get(reverse("region", args=[world.other_county.code])).status_code == 404
    assert client.get(reverse("grid", args=[world.far_grid.code])).status_code == 404
    assert client.get(reverse("region-features", args=[world.other_county.code])).status_code == 404


def test_the_map_data_of_a_community_are_its_grids(client, personas, world):
    client.force_login(personas.county_leader)
    data = client.get(reverse("region-features", args=[world.community.code])).json()
    codes = {f["properties"]["code"] for f in data["features"]}
    assert codes == set(Grid.objects.filter(community=world.community).values_list("code", flat=True))
    assert all(f["properties"]["is_grid"] for f in data["features"])


def test_a_grid_worker_sees_only_its_own_grid(client, personas, world):
    client.force_login(personas.grid_worker)
    assert client.get(reverse("grid", args=[world.grid.code])).status_code == 200
    assert client.get(reverse("grid", args=[world.other_grid.code])).status_code == 404
    data = client.get(reverse("region-features", args=[world.community.code])).json()
    assert [f["properties"]["code"] for f in data["features"]] == [world.grid.code]


def test_the_grid_page_shows_code_kind_and_staff(client, personas, world):
    client.force_login(personas.grid_head)
    html = client.get(reverse("grid", args=[world.grid.code])).content.decode()
    assert world.grid.code in html
    assert world.grid.get_kind_display() in html
    assert personas.grid_worker.display_name in html


def test_search_finds_a_grid_by_code_within_scope_only(client, personas, world):
    client.force_login(personas.county_leader)
    html = client.get(reverse("territory-search"), {"q": world.grid.code}).content.decode()
    assert reverse("grid", args=[world.grid.code]) in html
    html = client.get(reverse("territory-search"), {"q": world.far_grid.code}).content.decode()
    assert reverse("grid", args=[world.far_grid.code]) not in html


def test_pages_need_a_login(client, world):
    response = client.get(reverse("region", args=[world.county.code]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_draws_the_polygons_and_drills_down_to_a_grid(_city, live_server, page, personas, world):
    browser_login(page, live_server, personas.county_leader.username)
    page.goto(f"{live_server.url}{reverse('region', args=[world.county.code])}")
    page.wait_for_selector("#map.ready")
    townships = Region.objects.filter(parent=world.county).count()
    assert page.locator("#map").get_attribute("data-feature-count") == str(townships)
    # Click the map at a point surely inside the township: the page must drill down to it.
    inside = shapely.point_on_surface(shapely.from_geojson(json.dumps(world.township.boundary)))
    xy = page.evaluate(
        "([lat, lon]) => { const m = document.getElementById('map').leafletMap;"
        " const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }",
        [inside.y, inside.x],
    )
    page.mouse.click(*xy)
    page.wait_for_url(f"**{reverse('region', args=[world.township.code])}")
    page.wait_for_selector("#map.ready")
    page.goto(f"{live_server.url}{reverse('region', args=[world.community.code])}")
    page.wait_for_selector("#map.ready")
    grids = Grid.objects.filter(community=world.community).count()
    assert page.locator("#map").get_attribute("data-feature-count") == str(grids)
    page.get_by_role("link", name=world.grid.name, exact=True).click()
    page.wait_for_selector("#map.ready")
    assert page.locator("#grid-code").inner_text() == world.grid.code
    assert page.locator("#map canvas, #map svg").count() >= 1
