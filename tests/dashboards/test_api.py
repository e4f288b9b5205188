"""The screen's own endpoints (/api/v1/dashboards): the place and its breadcrumb, the map's
shapes and load, the live feed, the hot topics; each scoped to the caller, each with an empty
state."""

from __future__ import annotations

import json
from datetime import timedelta

import h3
import pytest
import shapely
import time_machine
from django.db import transaction
from django.utils import timezone

from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case
from gridgov.core import clock
from gridgov.dashboards.models import SimplifiedShape
from gridgov.geo.models import Grid
from gridgov.geo.services import layer_bump
from gridgov.sla.enums import Colour
from gridgov.stats.services import stats_rebuild, stats_refresh
from tests.dashboards.conftest import Screen, act, make_case

pytestmark = pytest.mark.django_db


def test_the_place_defaults_to_the_callers_root_with_its_children(world, personas):
    body = Screen(personas.county_leader).ok("place")
    assert body["place"]["code"] == world.county.code
    assert body["place"]["level"] == "county"
    assert [p["code"] for p in body["chain"]] == [world.county.code]
    children = [p["code"] for p in body["children"]]
    assert world.township.code in children
    assert all(c.startswith(world.county.code) for c in children)


def test_the_breadcrumb_runs_from_the_callers_root_down_to_a_grid(world, personas):
    body = Screen(personas.county_leader).ok("place", region=world.grid.code)
    assert body["place"]["level"] == "grid" and body["place"]["level_label"] == "网格"
    assert body["stats_region"]["code"] == world.community.code
    assert [p["code"] for p in body["chain"]] == [
        world.county.code,
        world.township.code,
        world.community.code,
        world.grid.code,
    ]
    assert body["children"] == []


def test_a_community_drills_down_to_its_grids(world, personas):
    body = Screen(personas.county_leader).ok("place", region=world.community.code)
    codes = [p["code"] for p in body["children"]]
    assert world.grid.code in codes and world.other_grid.code in codes
    assert {p["level"] for p in body["children"]} == {"grid"}


@pytest.mark.parametrize("endpoint", ["place", "shapes", "map", "feed", "hot"])
def test_another_countys_screen_is_refused(world, personas, endpoint):
    response = Screen(personas.county_leader).get(endpoint, region=world.other_county.code)
    assert response.status_code == 403
    assert " / " in response.json()["message"] or response.json()["message_zh"]
    assert Screen(personas.county_leader).get(endpoint, region=world.far_grid.code).status_code == 403


@pytest.mark.parametrize("who", ["grid_worker", "housing_handler", "outsider"])
def test_people_outside_a_command_centre_get_no_screen(personas, who):
    response = Screen(getattr(personas, who)).get("place")
    assert response.status_code == 403
    assert response.json()["code"] == "screen_forbidden"


def test_an_unknown_code_is_not_found_and_a_malformed_one_is_invalid(personas):
    screen = Screen(personas.county_leader)
    assert screen.get("place", region="999999").status_code == 404
    assert screen.get("place", region="62'; --").status_code == 422


def test_the_shapes_hold_the_outline_the_children_and_the_grids(world, personas):
    body = Screen(personas.township_dispatcher).ok("shapes")
    assert body["outline"]["properties"]["code"] == world.township.code
    children = body["children"]["features"]
    assert {f["properties"]["code"] for f in children} >= {world.community.code}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in children)
    grid_codes = {f["properties"]["code"] for f in body["grids"]["features"]}
    assert world.grid.code in grid_codes
    assert all(code.startswith(world.township.code) for code in grid_codes)


def test_the_shapes_are_simplified_once_per_layer_version_and_again_after_a_change(world, personas):
    screen = Screen(personas.county_leader)
    first = screen.ok("shapes", region=world.community.code)
    stored = SimplifiedShape.objects.count()
    assert stored == 1 + len(first["children"]["features"])  # the outline and each grid
    assert screen.ok("shapes", region=world.community.code) == first  # read back, equal
    assert SimplifiedShape.objects.count() == stored

    # A grid redrawn (every writer of the layer bumps its version in the same transaction):
    # the next answer draws the new boundary, and the old version's rows are gone.
    square = shapely.box(*shapely.from_geojson(json.dumps(world.grid.boundary)).bounds)
    with transaction.atomic():
        Grid.objects.filter(pk=world.grid.pk).update(boundary=json.loads(shapely.to_geojson(square)))
        layer_bump()
    after = screen.ok("shapes", region=world.community.code)
    drawn = {f["id"]: f["geometry"] for f in after["children"]["features"]}
    assert shapely.equals(shapely.from_geojson(json.dumps(drawn[world.grid.code])), square)
    assert SimplifiedShape.objects.count() == stored


def test_an_empty_place_has_an_empty_map_feed_and_hot_list(world, personas):
    screen = Screen(personas.county_leader)
    load = screen.ok("map", region=world.community.code)
    assert load["total"] == {"open": 0, "overdue": 0}
    assert load["points"] == [] and load["heat"]["hexes"] == []
    assert set(load["children"]) == {world.grid.code, world.other_grid.code} | set(load["children"])
    assert all(v == {"open": 0, "overdue": 0} for v in load["children"].values())
    feed = screen.ok("feed", region=world.community.code)
    assert feed["new"] == [] and feed["red"] == [] and feed["latest_id"] == 0
    hot = screen.ok("hot", region=world.community.code)
    assert hot["words"] == [] and hot["places"] == []


def test_the_map_counts_open_and_overdue_cases_per_child_and_grid(world, personas, seat):
    now = clock.now()
    open_one = make_case(seat, world.grid)
    late = make_case(seat, world.grid, title="路灯不亮")
    Case.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=1), colour=Colour.RED)
    closed = make_case(seat, world.other_grid, title="已处理")
    Case.objects.filter(pk=closed.pk).update(is_open=False)
    far = make_case(seat, world.far_grid, title="别处")
    stats_rebuild()  # the map's loads are the stats module's open-case facts, as the figures

    body = Screen(personas.county_leader).ok("map")
    assert body["total"] == {"open": 2, "overdue": 1}
    assert body["children"][world.township.code] == {"open": 2, "overdue": 1}
    assert body["grids"][world.grid.code] == {"open": 2, "overdue": 1}
    assert world.other_grid.code not in body["grids"]  # its only case is closed
    numbers = {p["number"]: p["colour"] for p in body["points"]}
    assert numbers == {open_one.number: "green", late.number: "red"}
    assert far.number not in numbers

    # The heat: both positions fall in h3 cells at the county's resolution, counted.
    heat = body["heat"]
    assert heat["resolution"] == 7
    assert sum(h["n"] for h in heat["hexes"]) == 3  # every case of the week, open or closed
    cell = h3.latlng_to_cell(open_one.lat, open_one.lon, 7)
    assert cell in {h["cell"] for h in heat["hexes"]}
    assert all(len(h["boundary"]) == 6 for h in heat["hexes"])

    community = Screen(personas.county_leader).ok("map", region=world.community.code)
    assert community["children"][world.grid.code]["open"] == 2
    assert community["heat"]["resolution"] == 9


def test_the_feed_lists_new_cases_newest_first_and_the_red_ones(world, personas, seat):
    first = make_case(seat, world.grid, title="第一件")
    second = make_case(seat, world.grid, title="第二件")
    Case.objects.filter(pk=first.pk).update(colour=Colour.RED)
    make_case(seat, world.far_grid, title="别的县")
    body = Screen(personas.county_leader).ok("feed")
    assert [i["number"] for i in body["new"]] == [second.number, first.number]
    assert [i["number"] for i in body["red"]] == [first.number]
    item = body["new"][0]
    assert item["title"] == "第二件" and item["channel_label"] == "12345热线"
    assert item["place"] == world.grid.name and item["url"].endswith(f"/cases/{second.number}/")
    assert body["latest_id"] == second.pk


def test_the_feed_forgets_new_cases_after_a_week_but_keeps_them_red(world, personas, seat):
    case = make_case(seat, world.grid)
    Case.objects.filter(pk=case.pk).update(colour=Colour.RED)
    with time_machine.travel(clock.now() + timedelta(days=8), tick=False):
        body = Screen(personas.county_leader).ok("feed")
    assert body["new"] == []
    assert [i["number"] for i in body["red"]] == [case.number]


def test_hot_topics_rank_the_rising_words_and_the_places_that_repeat(world, personas, seat):
    now = clock.now()
    old = make_case(seat, world.grid, title="噪音扰民", description="夜间施工噪音扰民")
    Case.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=9))
    for title in ("积水严重", "门口积水", "积水无法通行"):
        make_case(seat, world.grid, title=title, description="")
    make_case(seat, world.other_grid, title="噪音扰民", description="夜间施工噪音扰民")
    make_case(seat, world.other_grid, title="噪音又来了", description="夜间施工噪音")
    stats_refresh()  # the words are counted by the stats reader, once per case

    body = Screen(personas.county_leader).ok("hot")
    words = {w["word"]: w for w in body["words"]}
    assert words["积水"] == {"word": "积水", "count": 3, "previous": 0, "change": 3}
    assert words["噪音"]["count"] == 2 and words["噪音"]["previous"] == 1
    assert body["words"][0]["word"] == "积水"  # rose the most
    assert "问题" not in words and "演示" not in words
    places = {p["code"]: p for p in body["places"]}
    assert places[world.grid.code]["count"] == 3 and places[world.grid.code]["name"] == world.grid.name
    assert places[world.other_grid.code]["count"] == 2
    assert body["places"][0]["code"] == world.grid.code

    # Another county's leader sees none of it.
    assert Screen(personas.other_county_leader).ok("hot")["words"] == []


def test_a_dispatched_case_is_still_open_on_the_map(world, personas, seat):
    case = make_case(seat, world.grid)
    act(seat, case.number, CaseAction.ACCEPT)
    stats_refresh()
    body = Screen(personas.county_leader).ok("map", region=world.grid.code)
    assert body["total"]["open"] == 1
    assert [p["number"] for p in body["points"]] == [case.number]
    assert body["children"] == {}


def test_the_trend_draws_the_busiest_categories_day_by_day_from_the_stats_tables(world, personas, seat):
    make_case(seat, world.grid, category="0101")
    make_case(seat, world.grid, category="0101")
    make_case(seat, world.other_grid, category="0201")
    stats_refresh()
    body = Screen(personas.county_leader).ok("trend")
    assert len(body["days"]) == 30 and body["days"][-1] == timezone.localdate().isoformat()
    names = [s["name"] for s in body["series"]]
    assert names[0] == "城乡建设" and len(names) == 2
    assert body["series"][0]["data"][-1] == 2 and sum(body["series"][0]["data"]) == 2
    grid = Screen(personas.county_leader).ok("trend", region=world.grid.code)
    assert grid["stats_region"]["code"] == world.community.code


def test_the_heat_and_the_words_count_the_last_seven_days_by_hand(world, personas, seat):
    """Through the API, against sums made here from the positions and the days: today and the
    six days before are this week; the seventh day back belongs to the week before."""
    now = clock.now()
    made = [
        (make_case(seat, world.grid, title="积水严重", description=""), 0),
        (make_case(seat, world.grid, title="积水严重", description=""), 6),
        (make_case(seat, world.other_grid, title="积水严重", description=""), 2),
        (make_case(seat, world.other_grid, title="积水严重", description=""), 7),
        (make_case(seat, world.far_grid, title="积水严重", description=""), 1),  # another county
    ]
    for case, days in made:
        Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=days))
    stats_refresh()

    def heat(region: str) -> dict[str, int]:
        body = Screen(personas.county_leader).ok("map", region=region)["heat"]
        return {h["cell"]: h["n"] for h in body["hexes"]}

    def by_hand(resolution: int, grids) -> dict[str, int]:
        cells: dict[str, int] = {}
        for case, days in made:
            if days < 7 and case.grid_id in {g.pk for g in grids}:
                cell = h3.latlng_to_cell(case.lat, case.lon, resolution)
                cells[cell] = cells.get(cell, 0) + 1
        return cells

    assert heat(world.county.code) == by_hand(7, [world.grid, world.other_grid])
    assert heat(world.township.code) == by_hand(8, [world.grid, world.other_grid])
    assert (
        heat(world.grid.code)
        == by_hand(9, [world.grid])
        == {h3.latlng_to_cell(made[0][0].lat, made[0][0].lon, 9): 2}
    )

    # Every text is "积水严重": two words, each counted once per case.
    hot = Screen(personas.county_leader).ok("hot")
    assert hot["words"] == [
        {"word": w, "count": 3, "previous": 1, "change": 2} for w in sorted(("积水", "严重"))
    ]
    grid = Screen(personas.county_leader).ok("hot", region=world.grid.code)
    assert {w["word"]: w["count"] for w in grid["words"]} == {"积水": 2, "严重": 2}
