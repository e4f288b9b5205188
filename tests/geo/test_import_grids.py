"""`gridgov geo import-grids`: a city's own grid layer, validated in full, written all or nothing."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff
from gridgov.geo.boundaries import geometry_of
from gridgov.geo.coords import from_wgs84
from gridgov.geo.enums import GeoSource, GridKind, RegionLevel
from gridgov.geo.models import Grid, LayerVersion, Region
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _community(min_grids: int = 3) -> Region:
    return next(
        c
        for c in Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("code")
        if c.grids.count() >= min_grids
    )


def _exported(tmp_path: Path, region_code: str) -> dict:
    path = tmp_path / f"export-{region_code}.geojson"
    call_command("geo", "export-grids", region_code, str(path), stdout=io.StringIO())
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, collection: object, name: str = "grids.geojson") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _import(path: str, *args: str) -> str:
    out = io.StringIO()
    call_command("geo", "import-grids", path, *args, stdout=out)
    return out.getvalue()


def _errors(path: str, *args: str) -> list[list[str]]:
    """The error rows the command printed (feature, code, kind, message), after it failed."""
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("geo", "import-grids", path, *args, stdout=out)
    lines = out.getvalue().splitlines()
    return [line.split("\t") for line in lines[1:-1]]


def _kinds(rows: list[list[str]]) -> set[str]:
    return {row[2] for row in rows}


def _feature(code: str, geometry, *, name: str = "测试网格", kind: str = "community", **props) -> dict:
    geo = geometry if isinstance(geometry, dict) else json.loads(shapely.to_geojson(geometry))
    return {
        "type": "Feature",
        "geometry": geo,
        "properties": {"code": code, "name": name, "kind": kind, **props},
    }


def _fc(*features: object) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _state(prefix: str) -> list[tuple]:
    return list(
        Grid.objects.filter(code__startswith=prefix)
        .order_by("code")
        .values_list("code", "name", "kind", "source", "boundary", "population")
    )


# --- the happy paths ------------------------------------------------------------------------------


def test_an_exported_county_imports_back_clean_and_unchanged(tmp_path):
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")[0]
    collection = _exported(tmp_path, county.code)
    path = _write(tmp_path, collection)
    before = _state(county.code)
    version = LayerVersion.objects.get().version

    dry = _import(path, "--dry-run")
    assert "dry run" in dry and f"updated {len(before)}" in dry
    assert _state(county.code) == before and LayerVersion.objects.get().version == version

    out = _import(path)
    assert f"created 0, 更新 updated {len(before)}, 删除 deleted 0" in out
    after = _state(county.code)
    assert [(c, n, k, b, p) for c, n, k, _, b, p in after] == [(c, n, k, b, p) for c, n, k, _, b, p in before]
    assert {row[3] for row in after} == {GeoSource.IMPORTED}
    assert LayerVersion.objects.get().version == version + 1


def test_a_file_replaces_the_grids_of_the_communities_it_names(tmp_path):
    community = _community(3)
    others = Grid.objects.exclude(community=community).count()
    path = _write(
        tmp_path,
        _fc(
            _feature(
                community.code + "900", community.boundary, name="整社区网格", population=1200, households=400
            )
        ),
    )
    out = _import(path)
    assert "created 1" in out and f"deleted {3 if community.grids.count() == 3 else ''}" in out
    grid = Grid.objects.get(community=community)
    assert (grid.code, grid.name, grid.population, grid.households, grid.kind) == (
        community.code + "900",
        "整社区网格",
        1200,
        400,
        GridKind.COMMUNITY,
    )
    assert grid.source == GeoSource.IMPORTED and grid.area_km2 == pytest.approx(community.area_km2)
    assert Grid.objects.exclude(community=community).count() == others


def test_it_accepts_gcj02_and_bd09_files_and_stores_wgs84(tmp_path):
    community = _community(2)
    collection = _exported(tmp_path, community.code)
    originals = {f["properties"]["code"]: geometry_of(f["geometry"]) for f in collection["features"]}

    for crs in ("gcj02", "bd09"):
        shifted = copy.deepcopy(collection)
        for f in shifted["features"]:
            geom = shapely.transform(
                geometry_of(f["geometry"]),
                lambda xy, crs=crs: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], crs)),
            )
            f["geometry"] = json.loads(shapely.to_geojson(geom))
        path = _write(tmp_path, shifted, f"{crs}.geojson")
        # Read as if it were WGS84, the layer sits hundreds of metres off its communities.
        assert "outside_community" in _kinds(_errors(path))
        _import(path, "--crs", crs)
        for grid in Grid.objects.filter(community=community):
            stored = geometry_of(grid.boundary)
            assert shapely.equals_exact(stored, originals[grid.code], tolerance=1e-7)


def test_codes_given_as_numbers_and_kinds_given_in_chinese_are_accepted(tmp_path):
    community = _community(2)
    collection = _exported(tmp_path, community.code)
    for f in collection["features"]:
        f["properties"]["code"] = int(f["properties"]["code"])
        f["properties"]["kind"] = "专属网格"
    _import(_write(tmp_path, collection))
    assert set(Grid.objects.filter(community=community).values_list("kind", flat=True)) == {
        GridKind.DEDICATED
    }


# --- every error class -----------------------------------------------------------------------------


def test_a_file_that_is_not_a_feature_collection_is_refused(tmp_path):
    rows = _errors(_write(tmp_path, {"type": "Feature", "geometry": None, "properties": {}}))
    assert _kinds(rows) == {"file_format"}
    assert _kinds(_errors(_write(tmp_path, _fc()))) == {"file_format"}
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not UTF-8 JSON"):
        _import(str(broken))


def test_each_property_error_is_reported_with_its_feature_and_kind(tmp_path):
    community = _community(2)
    geom = community.boundary
    rows = _errors(
        _write(
            tmp_path,
            _fc(
                _feature("62010200100100A", geom),
                _feature(community.code + "901", geom, name="  "),
                _feature(community.code + "902", geom, kind="park"),
                _feature(community.code + "903", geom, population=-3),
                _feature(community.code + "904", geom, households=1.5),
                "not a feature",
            ),
        )
    )
    assert [(r[0], r[2]) for r in rows] == [
        ("#0", "bad_code"),
        ("#1", "bad_name"),
        ("#2", "bad_kind"),
        ("#3", "bad_number"),
        ("#4", "bad_number"),
        ("#5", "feature_format"),
    ]
    # Chinese and English, on every line.
    assert all(" / " in r[3] for r in rows)
    assert rows[0][3].startswith("网格编码应为 15 位数字")


def test_geometry_errors_are_told_apart(tmp_path):
    community = _community(2)
    x, y = geometry_of(community.boundary).representative_point().coords[0]
    d = 1e-4
    bow_tie = {"type": "Polygon", "coordinates": [[[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]]}
    two_points = {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x, y]]]}
    rows = _errors(
        _write(
            tmp_path,
            _fc(
                _feature(community.code + "001", {"type": "Point", "coordinates": [x, y]}),
                _feature(community.code + "002", bow_tie),
                _feature(community.code + "003", two_points),
                _feature(
                    community.code + "004",
                    {"type": "Polygon", "coordinates": [[[x, 95], [x + d, 95], [x, 96], [x, 95]]]},
                ),
            ),
        )
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("#0", community.code + "001", "geometry_type"),
        ("#1", community.code + "002", "self_intersection"),
        ("#2", community.code + "003", "geometry_invalid"),
        ("#3", community.code + "004", "geometry_invalid"),
    ]


def test_duplicate_codes_are_reported_on_the_repeat(tmp_path):
    community = _community(2)
    collection = _exported(tmp_path, community.code)
    collection["features"].append(copy.deepcopy(collection["features"][0]))
    rows = _errors(_write(tmp_path, collection))
    last = len(collection["features"]) - 1
    assert ("duplicate_code", f"#{last}") in {(r[2], r[0]) for r in rows}
    assert "#0" in next(r for r in rows if r[2] == "duplicate_code")[3]


def test_a_code_whose_community_does_not_exist_is_refused(tmp_path):
    community = _community(2)
    township = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code")[0]
    rows = _errors(
        _write(
            tmp_path,
            _fc(
                _feature(community.code[:6] + "999999001", community.boundary),
                _feature(
                    township.code + "000" + "001", community.boundary
                ),  # a township code is no community
            ),
        )
    )
    assert [(r[0], r[2]) for r in rows] == [("#0", "unknown_community"), ("#1", "unknown_community")]


def test_a_grid_crossing_its_community_border_is_refused(tmp_path):
    community = _community(2)
    bigger = geometry_of(community.boundary).buffer(0.002)
    rows = _errors(_write(tmp_path, _fc(_feature(community.code + "001", bigger))))
    assert [(r[0], r[2]) for r in rows] == [("#0", "outside_community")]
    assert "m²" in rows[0][3]


def test_overlapping_grids_are_refused(tmp_path):
    community = _community(2)
    shape = geometry_of(community.boundary)
    x0, y0, x1, y1 = shape.bounds
    mid, d = (x0 + x1) / 2, (x1 - x0) / 20
    west = shape.intersection(shapely.box(x0 - 1, y0 - 1, mid + d, y1 + 1))
    east = shape.intersection(shapely.box(mid - d, y0 - 1, x1 + 1, y1 + 1))
    rows = _errors(
        _write(tmp_path, _fc(_feature(community.code + "001", west), _feature(community.code + "002", east)))
    )
    assert [(r[0], r[2]) for r in rows] == [("#1", "overlap")]
    assert community.code + "001" in rows[0][3]


def test_grids_that_leave_part_of_their_community_uncovered_are_refused(tmp_path):
    community = _community(3)
    collection = _exported(tmp_path, community.code)
    collection["features"].sort(key=lambda f: f["properties"]["area_km2"])
    dropped = collection["features"].pop()  # the largest: well over the 0.5 % allowed
    rows = _errors(_write(tmp_path, collection))
    assert [(r[0], r[1], r[2]) for r in rows] == [("-", community.code, "gap")]
    assert dropped["properties"]["code"] not in rows[0][3]


def test_a_grid_still_served_by_staff_cannot_be_dropped(tmp_path):
    community = _community(2)
    served = community.grids.order_by("code")[0]
    worker = make_user("gw-import", Role.GRID_WORKER)
    GridStaff.objects.create(grid=served, user=worker, duty=GridDuty.WORKER)
    rows = _errors(_write(tmp_path, _fc(_feature(community.code + "900", community.boundary))))
    assert [(r[1], r[2]) for r in rows] == [(served.code, "grid_in_use")]
    assert "accounts.GridStaff" in rows[0][3]
    assert Grid.objects.filter(pk=served.pk).exists()


# --- all or nothing ----------------------------------------------------------------------------


def test_one_bad_feature_means_nothing_is_written(tmp_path):
    good, bad = [
        c for c in Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("code") if c.grids.count() >= 2
    ][:2]
    collection = _exported(tmp_path, good.code)
    for f in collection["features"]:
        f["properties"]["name"] = "改名网格"
    other = _exported(tmp_path, bad.code)
    other["features"].pop()  # leaves a gap in the second community
    collection["features"] += other["features"]
    before_good, before_bad = _state(good.code), _state(bad.code)
    version = LayerVersion.objects.get().version

    rows = _errors(_write(tmp_path, collection))
    assert _kinds(rows) == {"gap"}
    assert _state(good.code) == before_good and _state(bad.code) == before_bad
    assert LayerVersion.objects.get().version == version
    assert not Grid.objects.filter(name="改名网格").exists()
