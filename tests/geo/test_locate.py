"""Locating points: the CLI, the API (one point and batches), coordinate systems, bad input, the
index following the database, and the fast path agreeing exactly with shapely."""

from __future__ import annotations

import io
import json
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
import shapely
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from gridgov.core import clock
from gridgov.geo import index as geo_index
from gridgov.geo.coords import from_wgs84, wgs84_to_gcj02
from gridgov.geo.enums import Crs, GeoSource, GridKind, RegionLevel
from gridgov.geo.index import OUTSIDE, GridIndex, current_layer
from gridgov.geo.models import Grid, Region
from gridgov.geo.services import grids_import, layer_bump
from gridgov.geo.validation import feature_collection
from tests import conftest as shared

pytestmark = pytest.mark.django_db

URL = "/api/v1/geo/locate"

if not hasattr(shared, "_city"):
    # Until tests/conftest.py defines the session city fixture that `world` asks for.
    @pytest.fixture(scope="session")
    def _city():
        return None


@pytest.fixture(autouse=True)
def _index_follows_the_rollback():
    # Each test's transaction is rolled back, which no signal reports: make the index look again.
    geo_index.mark_stale()
    yield
    geo_index.mark_stale()


def _shape(grid: Grid) -> shapely.Geometry:
    return shapely.from_geojson(json.dumps(grid.boundary))


def _inside(grid: Grid) -> tuple[float, float]:
    p = shapely.point_on_surface(_shape(grid))
    return p.x, p.y


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("geo", "locate", *args, stdout=out)
    return out.getvalue()


def _logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": shared.PASSWORD})
    assert response.status_code == 302, response.content.decode()[-3000:]
    return client


def _post(client: Client, body: object) -> tuple[int, dict]:
    response = client.post(URL, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def _all_grids() -> tuple[list[Grid], np.ndarray]:
    grids = list(Grid.objects.order_by("code"))
    return grids, np.array([_shape(g) for g in grids], dtype=object)


def _beyond_the_layer() -> tuple[float, float]:
    """A point some kilometres east of every grid."""
    _, shapes = _all_grids()
    _, y0, x1, y1 = shapely.total_bounds(shapes)
    return float(x1 + 0.08), float((y0 + y1) / 2)


def _metres_to(shape: shapely.Geometry, lon: float, lat: float) -> float:
    """Distance by a local projection centred on the point: an independent check of ours."""
    k = math.cos(math.radians(lat))
    m = math.pi / 180 * 6_371_008.8

    def project(xy):
        return np.column_stack([(xy[:, 0] - lon) * k * m, (xy[:, 1] - lat) * m])

    return float(shapely.distance(shapely.transform(shape, project), shapely.Point(0, 0)))


# --- the command line -------------------------------------------------------------------------


def test_the_cli_names_the_grid_and_every_region_above_an_inside_point(world):
    lon, lat = _inside(world.grid)
    out = _cli(str(lon), str(lat))
    assert world.grid.code in out and world.grid.name in out
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    for region in (world.community, world.township, world.county, world.city, province):
        assert region.name in out and region.code in out


def test_the_cli_converts_a_gcj02_point_before_locating_it(world):
    lon, lat = _inside(world.grid)
    glon, glat = wgs84_to_gcj02(lon, lat)
    out = _cli(str(float(glon)), str(float(glat)), "--crs", "gcj02", "--json")
    answer = json.loads(out)
    assert answer["grid"] == world.grid.code
    assert answer["wgs84"] == pytest.approx([lon, lat], abs=1e-7)
    assert answer["regions"][-1] == world.community.code


def test_the_cli_says_outside_and_names_the_nearest_grid(world):
    lon, lat = _beyond_the_layer()
    out = _cli(str(lon), str(lat))
    assert "outside" in out and "不在任何网格内" in out
    grids, shapes = _all_grids()
    nearest = grids[int(np.argmin([_metres_to(s, lon, lat) for s in shapes]))]
    assert nearest.code in out


def test_the_cli_refuses_nan_and_out_of_range_in_both_languages(world):
    with pytest.raises(CommandError, match=r"经度不是有限数.*longitude is not a finite number"):
        _cli("nan", "36")
    with pytest.raises(CommandError, match=r"纬度 95\.0 超出范围.*latitude 95\.0 is outside"):
        _cli("103.8", "95")


# --- one point through the API ----------------------------------------------------------------


def test_a_grid_worker_locates_a_point_and_gets_the_grid_and_the_chain(world, personas):
    client = _logged_in("gw")
    lon, lat = _inside(world.other_grid)
    response = client.get(URL, {"lon": lon, "lat": lat})
    assert response.status_code == 200
    body = response.json()
    assert body["inside"] is True and body["nearest"] is None
    assert body["grid"]["code"] == world.other_grid.code and body["grid"]["name"] == world.other_grid.name
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    assert [r["code"] for r in body["regions"]] == [
        province.code,
        world.city.code,
        world.county.code,
        world.township.code,
        world.community.code,
    ]
    assert [r["level"] for r in body["regions"]] == [lv.value for lv in RegionLevel]
    assert body["regions"][-1]["name"] == world.community.name


def test_any_authenticated_user_may_locate_but_an_anonymous_caller_may_not(world, personas):
    lon, lat = _inside(world.far_grid)
    # The outsider belongs to no unit and sees no region, yet locating is about the territory.
    response = _logged_in("outsider").get(URL, {"lon": lon, "lat": lat})
    assert response.status_code == 200 and response.json()["grid"]["code"] == world.far_grid.code
    assert Client().get(URL, {"lon": lon, "lat": lat}).status_code == 401
    assert Client().post(URL, "{}", content_type="application/json").status_code == 401


def test_a_point_outside_every_grid_gets_the_nearest_grid_and_its_distance(world, personas):
    lon, lat = _beyond_the_layer()
    body = _logged_in("cd").get(URL, {"lon": lon, "lat": lat}).json()
    assert body["inside"] is False and body["grid"] is None and body["regions"] == []
    grids, shapes = _all_grids()
    metres = np.array([_metres_to(s, lon, lat) for s in shapes])
    best = int(np.argmin(metres))
    assert body["nearest"]["grid"]["code"] == grids[best].code
    assert body["nearest"]["distance_m"] == pytest.approx(metres[best], rel=0.005)
    assert body["nearest"]["regions"][-1]["code"] == grids[best].code[:12]


def _border_case(world) -> tuple[Grid, Grid, float, float]:
    """A point (WGS84) inside one grid whose GCJ-02 numbers, misread as WGS84, fall in another."""
    grids, shapes = _all_grids()
    tree = shapely.STRtree(shapes)
    rng = np.random.default_rng(11)
    for grid, shape in zip(grids, shapes, strict=True):
        x0, y0, x1, y1 = shape.bounds
        xs, ys = rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)
        keep = shapely.contains_xy(shape, xs, ys)
        xs, ys = xs[keep], ys[keep]
        gx, gy = wgs84_to_gcj02(xs, ys)
        which, hit = tree.query(shapely.points(gx, gy), predicate="within")
        for i, j in zip(which, hit, strict=True):
            if grids[j].code != grid.code:
                return grid, grids[j], float(xs[i]), float(ys[i])
    raise AssertionError("no grid border within a GCJ-02 shift of a point: the test world is too coarse")


def test_the_coordinate_system_decides_on_which_side_of_a_border_a_point_falls(world, personas):
    home, neighbour, lon, lat = _border_case(world)
    client = _logged_in("cd")
    for crs in Crs:
        x, y = from_wgs84(lon, lat, crs)
        body = client.get(URL, {"lon": float(x), "lat": float(y), "crs": crs.value}).json()
        assert body["grid"]["code"] == home.code, crs
        assert body["wgs84"] == pytest.approx([lon, lat], abs=1e-7)
    # The same numbers read as plain WGS84 are half a kilometre off, across the border.
    gx, gy = wgs84_to_gcj02(lon, lat)
    body = client.get(URL, {"lon": float(gx), "lat": float(gy)}).json()
    assert body["grid"]["code"] == neighbour.code


@pytest.mark.parametrize(
    ("params", "zh", "en"),
    [
        ({"lon": "nan", "lat": "36"}, "经度不是有限数", "longitude is not a finite number"),
        ({"lon": "103.8", "lat": "inf"}, "纬度不是有限数", "latitude is not a finite number"),
        ({"lon": "-inf", "lat": "36"}, "经度不是有限数", "longitude is not a finite number"),
        ({"lon": "200", "lat": "36"}, "经度 200.0 超出范围", "longitude 200.0 is outside [-180, 180]"),
        ({"lon": "103.8", "lat": "-90.5"}, "纬度 -90.5 超出范围", "latitude -90.5 is outside [-90, 90]"),
    ],
)
def test_a_bad_single_point_is_a_422_in_chinese_and_english(world, personas, params, zh, en):
    response = _logged_in("cd").get(URL, params)
    assert response.status_code == 422
    body = response.json()
    assert zh in body["message_zh"] and en in body["message_en"]


@pytest.mark.parametrize(
    "params",
    [{"lon": "abc", "lat": "36"}, {"lon": "103.8"}, {"lon": "103.8", "lat": "36", "crs": "mercator"}, {}],
)
def test_a_malformed_single_point_is_a_422_not_a_crash(world, personas, params):
    response = _logged_in("cd").get(URL, params)
    assert response.status_code == 422
    assert "无效" in response.json()["message"] and "invalid" in response.json()["message"]


# --- many points through the API --------------------------------------------------------------


def test_a_batch_answers_each_point_in_order_and_describes_each_grid_once(world, personas):
    inside = [_inside(g) for g in (world.grid, world.other_grid, world.far_grid, world.grid)]
    outside = _beyond_the_layer()
    gcj = [[float(v) for v in wgs84_to_gcj02(lon, lat)] for lon, lat in [*inside, outside]]
    status, body = _post(_logged_in("gh"), {"crs": "gcj02", "points": gcj})
    assert status == 200
    assert (body["count"], body["inside"], body["outside"]) == (5, 4, 1)
    codes = [world.grid.code, world.other_grid.code, world.far_grid.code, world.grid.code]
    assert [p["grid"] for p in body["points"][:4]] == codes
    assert all(p["inside"] and "nearest" not in p for p in body["points"][:4])
    last = body["points"][4]
    assert last["grid"] is None and last["inside"] is False and last["nearest"] and last["distance_m"] > 1000
    assert set(body["grids"]) == {*codes, last["nearest"]}
    chain = body["grids"][world.grid.code]["regions"]
    assert chain == [
        Region.objects.get(level=RegionLevel.PROVINCE).code,
        world.city.code,
        world.county.code,
        world.township.code,
        world.community.code,
    ]
    assert body["grids"][world.grid.code]["name"] == world.grid.name
    assert body["regions"][world.community.code] == {"name": world.community.name, "level": "community"}
    assert body["layer_version"] == current_layer().version


def test_a_batch_can_skip_the_nearest_lookup(world, personas):
    status, body = _post(_logged_in("gh"), {"points": [list(_beyond_the_layer())], "nearest": False})
    assert status == 200
    assert body["points"] == [{"grid": None, "inside": False}] and body["grids"] == {}


def test_every_bad_point_of_a_batch_is_named_and_nothing_is_located(world, personas):
    good = list(_inside(world.grid))
    raw = (
        '{"crs": "wgs84", "points": ['
        f"[{good[0]}, {good[1]}], [NaN, 36], [103.8, Infinity], [-Infinity, 36], [200, 36], [103.8, 95],"
        ' [1], ["103.8", "36"], null, [1, 2, 3], [true, 36], {"lon": 103.8, "lat": 36}, '
        f"[{good[0]}, {good[1]}]]}}"
    )
    response = _logged_in("gh").post(URL, raw, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_coordinates"
    assert "11 个点的坐标无效" in body["message_zh"] and "11 point(s)" in body["message_en"]
    errors = body["details"]["errors"]
    assert [e["index"] for e in errors] == list(range(1, 12))
    assert all(e["message_zh"] and e["message_en"] and " / " in e["message"] for e in errors)
    assert "第 1 个点的经度不是有限数" in errors[0]["message_zh"]
    assert "point 4: longitude 200 is outside [-180, 180]" in errors[3]["message_en"]
    assert "point 6 must be [lon, lat]" in errors[5]["message_en"]
    assert "point 7: the longitude is not a number" in errors[6]["message_en"]


def test_more_points_than_allowed_are_refused_with_a_message(world, personas, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "LOCATE_MAX_POINTS": 10}
    status, body = _post(_logged_in("gh"), {"points": [[103.8, 36.0]] * 11})
    assert status == 422
    assert body["code"] == "too_many_points"
    assert "最多定位 10 个点" in body["message_zh"] and "at most 10 points" in body["message_en"]
    # A body too large for any allowed batch is refused before it is read.
    status, body = _post(_logged_in("gh"), {"points": [[103.8, 36.0]], "padding": "x" * 5000})
    assert status == 422 and body["code"] == "too_many_points"


def test_a_full_batch_of_the_default_maximum_is_answered(world, personas):
    _, shapes = _all_grids()
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    rng = np.random.default_rng(5)
    n = 100_000
    points = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]).tolist()
    body = json.dumps({"points": points})
    # Full-precision coordinates: more than Django's general 2.5 MB request limit.
    assert len(body) > 2_621_440
    response = _logged_in("gh").post(URL, body, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == n and len(body["points"]) == n
    assert body["inside"] == sum(p["inside"] for p in body["points"]) > 0
    assert all(p["nearest"] for p in body["points"] if not p["inside"])


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[[103.8, 36.0]]",
        '{"points": "103.8,36.0"}',
        '{"crs": "mercator", "points": [[103.8, 36.0]]}',
        '{"points": [[103.8, 36.0]], "nearest": "yes"}',
        '{"crs": "wgs84"}',
        '{"crs": ["gcj02"], "points": [[103.8, 36.0]]}',
        pytest.param('{"points": [[1' + "0" * 400 + ", 36.0]]}", id="an-integer-too-big-for-a-float"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="nested-too-deep"),
    ],
)
def test_a_malformed_batch_is_a_422_in_both_languages(world, personas, raw):
    response = _logged_in("gh").post(URL, raw, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["message_zh"] and body["message_en"] and body["message_zh"] != body["message_en"]


# --- the index follows the database -------------------------------------------------------------


def _square(lon: float, lat: float, half: float) -> dict:
    return json.loads(shapely.to_geojson(shapely.box(lon - half, lat - half, lon + half, lat + half)))


def test_a_grid_added_in_the_database_is_found_by_the_next_locate(world, personas):
    lon, lat = _beyond_the_layer()
    client = _logged_in("cd")
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["inside"] is False
    code = world.community.code + "901"
    Grid.objects.create(
        code=code,
        name="新增专属网格",
        kind=GridKind.DEDICATED,
        community=world.community,
        boundary=_square(lon, lat, 0.01),
        min_lon=lon - 0.01,
        min_lat=lat - 0.01,
        max_lon=lon + 0.01,
        max_lat=lat + 0.01,
        centroid_lon=lon,
        centroid_lat=lat,
        area_km2=4.0,
        source=GeoSource.IMPORTED,
    )
    layer_bump()
    body = client.get(URL, {"lon": lon, "lat": lat}).json()
    assert body["inside"] is True and body["grid"]["code"] == code
    assert body["regions"][-1]["code"] == world.community.code


def test_a_grid_moved_by_another_writer_is_seen_within_a_second(world, personas):
    """grids_import writes in bulk and bumps the version with an UPDATE, which no signal reports:
    this is what a write by another process looks like to this one."""
    a, b = world.grid, world.other_grid
    lon, lat = _inside(a)
    client = _logged_in("cd")
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["grid"]["code"] == a.code
    collection = feature_collection(Grid.objects.filter(community=world.community).order_by("code"))
    by_code = {f["properties"]["code"]: f for f in collection["features"]}
    by_code[a.code]["geometry"], by_code[b.code]["geometry"] = (
        by_code[b.code]["geometry"],
        by_code[a.code]["geometry"],
    )
    grids_import(collection=collection)
    with time_machine.travel(clock.now() + timedelta(seconds=2), tick=False):
        body = client.get(URL, {"lon": lon, "lat": lat}).json()
    assert body["grid"]["code"] == b.code
    assert body["layer_version"] == current_layer().version


def test_a_deleted_grid_is_no_longer_found(world, personas):
    lon, lat = _inside(world.far_grid)
    client = _logged_in("cd")
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["grid"]["code"] == world.far_grid.code
    world.far_grid.delete()
    layer_bump()
    body = client.get(URL, {"lon": lon, "lat": lat}).json()
    assert body["inside"] is False and body["nearest"]["grid"]["code"] != world.far_grid.code


# --- the fast path is exact ---------------------------------------------------------------------


def _reference(shapes: np.ndarray, x: np.ndarray, y: np.ndarray, predicate: str) -> np.ndarray:
    """The smallest index of a grid for which shapely's predicate holds, by brute force per grid."""
    out = np.full(len(x), np.iinfo(np.int32).max, dtype=np.int64)
    for i in range(len(shapes) - 1, -1, -1):
        x0, y0, x1, y1 = shapes[i].bounds
        near = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        test = shapely.contains_xy if predicate == "contains" else shapely.intersects_xy
        out[near[test(shapes[i], x[near], y[near])]] = i
    out[out == np.iinfo(np.int32).max] = OUTSIDE
    return out


def _hard_points(shapes: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points, every vertex, points on edges, and points a hair either side of edges."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    w, h = x1 - x0, y1 - y0
    uniform = np.column_stack(
        [rng.uniform(x0 - 0.05 * w, x1 + 0.05 * w, n // 2), rng.uniform(y0 - 0.05 * h, y1 + 0.05 * h, n // 2)]
    )
    coords = shapely.get_coordinates(shapes)
    vertices = coords[rng.integers(0, len(coords), n // 8)]
    # Consecutive coordinates: an edge, or (across two rings) just another line through the layer.
    idx = rng.integers(0, len(coords) - 1, n - len(uniform) - len(vertices))
    a, b = coords[idx], coords[idx + 1]
    t = rng.choice([0.5, 0.25, rng.uniform()], size=len(idx))[:, None]
    on_edges = a + t * (b - a)
    hair = rng.choice([0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6], size=(len(idx), 2))
    pts = np.concatenate([uniform, vertices, on_edges + hair])
    return pts[:, 0].copy(), pts[:, 1].copy()


def _tricky_layer() -> np.ndarray:
    """Voronoi cells over a box, plus what real layers contain now and then: a dedicated grid
    lying over others, a grid with a hole, a two-part grid and a sliver."""
    rng = np.random.default_rng(21)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(103.5, 104.5, 1500), rng.uniform(35.8, 36.4, 1500)])
    )
    box = shapely.box(103.5, 35.8, 104.5, 36.4)
    cells = list(shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box))
    extras = [
        shapely.box(103.9, 36.0, 103.93, 36.02),  # overlaps the cells below it
        shapely.Polygon(
            [(104.6, 35.9), (104.8, 35.9), (104.8, 36.1), (104.6, 36.1)],
            [[(104.65, 35.95), (104.75, 35.95), (104.75, 36.05), (104.65, 36.05)]],
        ),
        shapely.MultiPolygon(
            [shapely.box(104.66, 35.96, 104.7, 36.0), shapely.box(104.9, 36.2, 105.0, 36.3)]
        ),
        shapely.Polygon([(103.6, 36.5), (104.4, 36.5000001), (104.4, 36.5000002)]),
    ]
    return np.array(cells + extras, dtype=object)


@pytest.mark.parametrize("max_cells", [20_000, 2_000_000])
def test_the_fast_path_agrees_exactly_with_shapely_on_a_tricky_layer(max_cells):
    shapes = _tricky_layer()
    index = GridIndex(shapes, max_cells=max_cells)
    x, y = _hard_points(shapes, 100_000, seed=max_cells)
    ours = index.locate_many(x, y)
    # shapely's contains decides; a point that no grid contains but some grid's edge touches
    # belongs to that grid (covers). Smallest index first in both.
    contains = _reference(shapes, x, y, "contains")
    covers = _reference(shapes, x, y, "intersects")
    assert np.array_equal(ours, np.where(contains != OUTSIDE, contains, covers))
    on_edge = np.flatnonzero((contains == OUTSIDE) & (ours != OUTSIDE))
    assert len(on_edge) > 100
    assert (
        shapely.distance(shapely.boundary(shapes[ours[on_edge]]), shapely.points(x[on_edge], y[on_edge])) == 0
    ).all()
    # Something of each tricky grid was hit, so the cases above were really exercised.
    assert {len(shapes) - k for k in range(1, 5)} <= set(np.unique(ours).tolist())


def test_the_fast_path_agrees_exactly_with_shapely_on_the_test_city(world):
    layer = current_layer(fresh=True)
    shapes = np.array([_shape(g) for g in Grid.objects.order_by("code")], dtype=object)
    assert [g.code for g in layer.grids] == list(Grid.objects.order_by("code").values_list("code", flat=True))
    x, y = _hard_points(shapes, 100_000, seed=1)
    contains = _reference(shapes, x, y, "contains")
    expected = np.where(contains != OUTSIDE, contains, _reference(shapes, x, y, "intersects"))
    assert np.array_equal(layer.index.locate_many(x, y), expected)
    # The imported grids draw some shared edges with different vertices on each side, so cells
    # cut by two segments were among those answered by cross products.
    seg = layer.index._split_seg
    assert (seg[:, 0] != seg[:, 1]).any() and (seg[:, 0] == seg[:, 1]).any()


def test_bad_numbers_and_an_empty_layer_give_outside_without_crashing():
    index = GridIndex(_tricky_layer()[:50])
    x = np.array([np.nan, np.inf, -np.inf, 0.0, 1e300, 103.7])
    y = np.array([36.0, 36.0, np.nan, np.nan, -1e300, np.inf])
    assert (index.locate_many(x, y) == OUTSIDE).all()
    near, dist = index.nearest_many(x, y)
    assert (near == OUTSIDE).all() and np.isnan(dist).all()
    for empty in (GridIndex(np.array([], dtype=object)), GridIndex([shapely.Polygon(), shapely.Polygon()])):
        assert (empty.locate_many([103.8], [36.0]) == OUTSIDE).all()
        assert empty.locate(103.8, 36.0) == OUTSIDE
        assert empty.nearest_many([103.8], [36.0])[0][0] == OUTSIDE


def test_threads_locating_at_once_all_get_the_exact_answer():
    shapes = _tricky_layer()
    index = GridIndex(shapes, max_cells=200_000)
    x, y = _hard_points(shapes, 400_000, seed=9)
    expected = index.locate_many(x, y, parallel=False)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: index.locate_many(x, y), range(4)))
    assert all(np.array_equal(a, expected) for a in answers)
