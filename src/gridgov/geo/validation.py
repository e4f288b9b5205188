"""The grid file: a GeoJSON FeatureCollection of grids, read (validated) and written (exported) here,
so that what `export-grids` writes is exactly what `import-grids` accepts.

Each feature: a Polygon or MultiPolygon and properties `code` (15 digits), `name`, `kind`
(community / rural / dedicated, or 社区网格 / 农村网格 / 专属网格) and optionally `households`,
`population`; other properties are ignored. A file is authoritative for every community it names:
its grids replace that community's grids, so together they must cover the community. The
tolerances and the gap rule are below and in docs/geo-import.md.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import models
from numpy.typing import NDArray

from gridgov.geo.boundaries import area_m2, geometry_of
from gridgov.geo.coords import to_wgs84
from gridgov.geo.enums import Crs, GridKind, RegionLevel
from gridgov.geo.models import Grid, Region

# Slivers below a square metre are digitising noise, whatever the grid's size.
SLIVER_M2 = 1.0
# A grid may stick out of its community, or overlap a neighbour, by this share of its area.
OUTSIDE_SHARE = 0.001
OVERLAP_SHARE = 0.001
# The grids of a community may leave this share of it uncovered before it counts as a gap.
GAP_SHARE = 0.005

_CODE = re.compile(r"[1-9]\d{14}")
_NAME_MAX = 64
_COUNT_MAX = 2**31 - 1
_KINDS = {**{k.value: k for k in GridKind}, **{str(k.label): k for k in GridKind}}


class GridErrorKind(models.TextChoices):
    FILE_FORMAT = "file_format", "文件格式错误"
    FEATURE_FORMAT = "feature_format", "要素格式错误"
    GEOMETRY_TYPE = "geometry_type", "几何类型错误"
    GEOMETRY_INVALID = "geometry_invalid", "几何无效"
    SELF_INTERSECTION = "self_intersection", "几何自相交"
    BAD_CODE = "bad_code", "网格编码格式错误"
    DUPLICATE_CODE = "duplicate_code", "网格编码重复"
    UNKNOWN_COMMUNITY = "unknown_community", "所属社区不存在"
    BAD_NAME = "bad_name", "名称错误"
    BAD_KIND = "bad_kind", "网格类型错误"
    BAD_NUMBER = "bad_number", "户数或人口错误"
    OUTSIDE_COMMUNITY = "outside_community", "超出社区边界"
    OVERLAP = "overlap", "网格重叠"
    GAP = "gap", "社区未被网格覆盖"
    GRID_IN_USE = "grid_in_use", "网格仍被引用"


@dataclass(frozen=True)
class FeatureError:
    index: int | None  # the feature's position in the file, from 0; None for file/community errors
    code: str
    kind: GridErrorKind
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "code": self.code,
            "kind": self.kind.value,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }

    def line(self) -> str:
        where = "-" if self.index is None else f"#{self.index}"
        return f"{where}\t{self.code or '-'}\t{self.kind.value}\t{self.message_zh} / {self.message_en}"


@dataclass(frozen=True)
class CheckedGrid:
    index: int
    code: str
    name: str
    kind: GridKind
    households: int
    population: int
    geometry: shapely.Geometry  # WGS84

    @property
    def community_code(self) -> str:
        return self.code[:12]


@dataclass
class GridFileCheck:
    errors: list[FeatureError] = field(default_factory=list)
    grids: list[CheckedGrid] = field(default_factory=list)
    communities: dict[str, Region] = field(default_factory=dict)

    def fail(self, index: int | None, code: str, kind: GridErrorKind, zh: str, en: str) -> None:
        self.errors.append(FeatureError(index, code, kind, zh, en))


# --- writing ------------------------------------------------------------------------------------


def grid_feature(grid: Grid) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": grid.boundary,
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "kind": grid.kind,
            "households": grid.households,
            "population": grid.population,
            "community": grid.code[:12],
            "source": grid.source,
            "area_km2": grid.area_km2,
        },
    }


def feature_collection(grids: Iterable[Grid]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [grid_feature(g) for g in grids]}


# --- reading ------------------------------------------------------------------------------------


def _coordinates_sane(geometry: shapely.Geometry) -> bool:
    xy = shapely.get_coordinates(geometry)
    return bool(np.isfinite(xy).all() and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all())


def _converter(crs: Crs) -> Any:
    def convert(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lon, lat])

    return convert


def _parse_geometry(
    raw: Any, index: int, code: str, crs: Crs, check: GridFileCheck
) -> shapely.Geometry | None:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        found = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        check.fail(
            index,
            code,
            GridErrorKind.GEOMETRY_TYPE,
            f"几何类型应为 Polygon 或 MultiPolygon,实为 {found}",
            f"geometry must be a Polygon or MultiPolygon, not {found}",
        )
        return None
    try:
        geometry = shapely.force_2d(shapely.from_geojson(json.dumps(raw)))
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        check.fail(
            index,
            code,
            GridErrorKind.GEOMETRY_INVALID,
            f"几何无法解析:{exc}",
            f"geometry cannot be read: {exc}",
        )
        return None
    if geometry.is_empty or not _coordinates_sane(geometry):
        check.fail(
            index,
            code,
            GridErrorKind.GEOMETRY_INVALID,
            "几何为空或坐标超出经纬度范围",
            "geometry is empty or has coordinates outside longitude/latitude range",
        )
        return None
    if crs != Crs.WGS84:
        geometry = shapely.transform(geometry, _converter(crs))
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        if "self-intersection" in reason.lower():
            check.fail(
                index,
                code,
                GridErrorKind.SELF_INTERSECTION,
                f"几何自相交:{reason}",
                f"geometry intersects itself: {reason}",
            )
        else:
            check.fail(
                index,
                code,
                GridErrorKind.GEOMETRY_INVALID,
                f"几何无效:{reason}",
                f"invalid geometry: {reason}",
            )
        return None
    if float(area_m2(geometry)) <= 0:
        check.fail(index, code, GridErrorKind.GEOMETRY_INVALID, "几何面积为零", "geometry has no area")
        return None
    return geometry


def _count(props: dict[str, Any], key: str, index: int, code: str, check: GridFileCheck) -> int | None:
    value = props.get(key, 0)
    if value is None:
        return 0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
        or not 0 <= value <= _COUNT_MAX
    ):
        check.fail(
            index,
            code,
            GridErrorKind.BAD_NUMBER,
            f"{key} 应为非负整数,实为 {value!r}",
            f"{key} must be a non-negative integer, not {value!r}",
        )
        return None
    return int(value)


def _parse_feature(feature: Any, index: int, crs: Crs, check: GridFileCheck) -> CheckedGrid | None:
    if (
        not isinstance(feature, dict)
        or feature.get("type") != "Feature"
        or not isinstance(feature.get("properties"), dict)
    ):
        check.fail(
            index,
            "",
            GridErrorKind.FEATURE_FORMAT,
            "不是带属性的 GeoJSON Feature",
            "not a GeoJSON Feature with properties",
        )
        return None
    props = feature["properties"]
    raw_code = props.get("code")
    # Spreadsheet exports turn codes into numbers; a 15-digit code has no leading zero, so it survives.
    code = str(raw_code) if isinstance(raw_code, int) and not isinstance(raw_code, bool) else raw_code
    ok = True
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        check.fail(
            index,
            str(raw_code or ""),
            GridErrorKind.BAD_CODE,
            f"网格编码应为 15 位数字,实为 {raw_code!r}",
            f"grid code must be 15 digits, not {raw_code!r}",
        )
        code, ok = str(raw_code or ""), False
    name = props.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > _NAME_MAX:
        check.fail(
            index,
            code,
            GridErrorKind.BAD_NAME,
            f"名称应为 1–{_NAME_MAX} 个字符",
            f"name must be 1–{_NAME_MAX} characters",
        )
        ok = False
    kind = _KINDS.get(props.get("kind")) if isinstance(props.get("kind"), str) else None
    if kind is None:
        allowed = ", ".join(k.value for k in GridKind)
        check.fail(
            index,
            code,
            GridErrorKind.BAD_KIND,
            f"网格类型应为 {allowed} 之一,实为 {props.get('kind')!r}",
            f"kind must be one of {allowed}, not {props.get('kind')!r}",
        )
        ok = False
    households = _count(props, "households", index, code, check)
    population = _count(props, "population", index, code, check)
    geometry = _parse_geometry(feature.get("geometry"), index, code, crs, check)
    if not ok or geometry is None or households is None or population is None or kind is None:
        return None
    assert isinstance(name, str)
    return CheckedGrid(index, code, name.strip(), kind, households, population, geometry)


def _check_duplicates(grids: list[CheckedGrid], check: GridFileCheck) -> list[CheckedGrid]:
    first: dict[str, int] = {}
    unique = []
    for g in grids:
        if g.code in first:
            check.fail(
                g.index,
                g.code,
                GridErrorKind.DUPLICATE_CODE,
                f"网格编码与第 {first[g.code]} 个要素重复",
                f"grid code repeats feature #{first[g.code]}",
            )
        else:
            first[g.code] = g.index
            unique.append(g)
    return unique


def _check_communities(grids: list[CheckedGrid], check: GridFileCheck) -> list[CheckedGrid]:
    codes = {g.community_code for g in grids}
    found = Region.objects.filter(code__in=codes, level=RegionLevel.COMMUNITY).only(
        "id", "code", "name", "boundary", "area_km2"
    )
    check.communities = {r.code: r for r in found}
    known = []
    for g in grids:
        if g.community_code in check.communities:
            known.append(g)
        else:
            check.fail(
                g.index,
                g.code,
                GridErrorKind.UNKNOWN_COMMUNITY,
                f"编码前 12 位 {g.community_code} 不是已有的村(社区)",
                f"{g.community_code} (the code's first 12 digits) is not an existing community",
            )
    return known


def _check_within(
    grids: list[CheckedGrid], shapes: dict[str, shapely.Geometry], check: GridFileCheck
) -> None:
    if not grids:
        return
    geoms = np.array([g.geometry for g in grids], dtype=object)
    parents = np.array([shapes[g.community_code] for g in grids], dtype=object)
    outside = area_m2(shapely.difference(geoms, parents))
    own = area_m2(geoms)
    for g, out, area in zip(grids, outside, own, strict=True):
        if out > max(SLIVER_M2, OUTSIDE_SHARE * area):
            check.fail(
                g.index,
                g.code,
                GridErrorKind.OUTSIDE_COMMUNITY,
                f"网格有 {out:,.1f} 平方米超出所属社区 {g.community_code} 的边界",
                f"{out:,.1f} m² of the grid lies outside its community {g.community_code}",
            )


def _check_overlaps(grids: list[CheckedGrid], check: GridFileCheck) -> None:
    if len(grids) < 2:
        return
    geoms = np.array([g.geometry for g in grids], dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return
    shared = area_m2(shapely.intersection(geoms[left], geoms[right]))
    areas = area_m2(geoms)
    for i, j, a in zip(left, right, shared, strict=True):
        if a > max(SLIVER_M2, OVERLAP_SHARE * min(areas[i], areas[j])):
            first, later = sorted((grids[i], grids[j]), key=lambda g: g.index)
            check.fail(
                later.index,
                later.code,
                GridErrorKind.OVERLAP,
                f"与第 {first.index} 个要素({first.code})重叠 {a:,.1f} 平方米",
                f"overlaps feature #{first.index} ({first.code}) by {a:,.1f} m²",
            )


def _check_gaps(
    grids: list[CheckedGrid], shapes: dict[str, shapely.Geometry], spoiled: set[str], check: GridFileCheck
) -> None:
    by_community: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for g in grids:
        by_community[g.community_code].append(g.geometry)
    for code in sorted(by_community):
        if code in spoiled:
            continue  # its own features already failed; a gap there would only repeat that
        community = shapes[code]
        uncovered = shapely.difference(community, shapely.union_all(by_community[code]))
        missing, whole = float(area_m2(uncovered)), float(area_m2(community))
        if missing > max(SLIVER_M2, GAP_SHARE * whole):
            where = shapely.point_on_surface(uncovered)
            check.fail(
                None,
                code,
                GridErrorKind.GAP,
                f"社区 {code} 有 {missing:,.0f} 平方米({missing / whole:.1%})未被网格覆盖,"
                f"例如 {where.x:.6f},{where.y:.6f} 附近",
                f"community {code} has {missing:,.0f} m² ({missing / whole:.1%}) not covered by any grid, "
                f"e.g. near {where.x:.6f},{where.y:.6f}",
            )


def validate_grid_collection(collection: Any, *, crs: Crs = Crs.WGS84) -> GridFileCheck:
    """Every check, on every feature, before anything is written; errors in file order."""
    check = GridFileCheck()
    if (
        not isinstance(collection, dict)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(collection.get("features"), list)
    ):
        check.fail(
            None,
            "",
            GridErrorKind.FILE_FORMAT,
            "文件不是 GeoJSON FeatureCollection",
            "the file is not a GeoJSON FeatureCollection",
        )
        return check
    if not collection["features"]:
        check.fail(None, "", GridErrorKind.FILE_FORMAT, "文件中没有网格", "the file holds no grids")
        return check
    parsed = [g for i, f in enumerate(collection["features"]) if (g := _parse_feature(f, i, Crs(crs), check))]
    unique = _check_duplicates(parsed, check)
    known = _check_communities(unique, check)
    shapes = {code: geometry_of(region.boundary) for code, region in check.communities.items()}
    _check_within(known, shapes, check)
    _check_overlaps(known, check)
    # A community whose features did not all pass cannot be judged for gaps.
    spoiled = {e.code[:12] for e in check.errors if e.index is not None and len(e.code) >= 12}
    passed = {g.index for g in known}
    spoiled |= {g.community_code for g in parsed if g.index not in passed}
    _check_gaps(known, shapes, spoiled, check)
    check.errors.sort(key=lambda e: (e.index is None, e.index or 0, e.code))
    check.grids = [] if check.errors else known
    return check


def count_by_kind(errors: Iterable[FeatureError]) -> Counter[str]:
    return Counter(e.kind.value for e in errors)
