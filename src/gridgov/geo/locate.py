"""Where is this point: its grid and the chain of regions above it, or, outside the layer, the
nearest grid and how far it is. One point or a batch; coordinates in WGS84, GCJ-02 or BD-09.

Reads only the in-memory layer (geo/index.py): after the once-a-second version check, a
locate touches no table. Locating concerns the territory, not people, so it carries no data
scope: any authenticated user may place a point (docs/api.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gridgov.core.errors import InvalidInput
from gridgov.geo.coords import to_wgs84
from gridgov.geo.enums import Crs
from gridgov.geo.index import OUTSIDE, GridRef, Layer, RegionRef, current_layer

# How many bad points an error lists; the count says how many there were in all.
MAX_LISTED_ERRORS = 100


@dataclass(frozen=True)
class PointProblem:
    index: int
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "message": f"{self.message_zh} / {self.message_en}",
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class BadCoordinates(InvalidInput):
    code = "invalid_coordinates"

    def __init__(self, problems: list[PointProblem], total: int):
        if total == 1 and len(problems) == 1:
            p = problems[0]
            super().__init__(p.message_zh, p.message_en)
        else:
            super().__init__(
                f"{len(problems)} 个点的坐标无效,未做定位",
                f"{len(problems)} point(s) have invalid coordinates; nothing was located",
            )
        self.problems = problems
        self.details = {
            "error_count": len(problems),
            "errors": [p.as_dict() for p in problems[:MAX_LISTED_ERRORS]],
        }


class TooManyPoints(InvalidInput):
    code = "too_many_points"


def _problem(i: int | None, lon: Any, lat: Any) -> PointProblem | None:
    """What is wrong with one point, if anything; i is None for a lone point."""
    zh_of = "" if i is None else f"第 {i} 个点的"
    en_of = "" if i is None else f"point {i}: "
    for name_zh, name_en, value, limit in (
        ("经度", "longitude", lon, 180.0),
        ("纬度", "latitude", lat, 90.0),
    ):
        problem: tuple[str, str] | None = None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problem = (f"{zh_of}{name_zh}不是数字", f"{en_of}the {name_en} is not a number")
        elif isinstance(value, int) and not -limit <= value <= limit:
            # An integer too large for a float must not reach float arithmetic below, nor a
            # message in full.
            shown = str(value) if abs(value) < 10**15 else f"{str(value)[:8]}…"
            problem = (
                f"{zh_of}{name_zh} {shown} 超出范围 [-{limit:g}, {limit:g}]",
                f"{en_of}{name_en} {shown} is outside [-{limit:g}, {limit:g}]",
            )
        elif not math.isfinite(value):
            problem = (
                f"{zh_of}{name_zh}不是有限数",
                f"{en_of}the {name_en} is not a finite number ({value})",
            )
        elif not -limit <= value <= limit:
            problem = (
                f"{zh_of}{name_zh} {value} 超出范围 [-{limit:g}, {limit:g}]",
                f"{en_of}{name_en} {value} is outside [-{limit:g}, {limit:g}]",
            )
        if problem is not None:
            return PointProblem(0 if i is None else i, *problem)
    return None


def parse_points(points: Any, *, max_points: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """[[lon, lat], …] from a decoded JSON body → two arrays; every bad point is named."""
    if not isinstance(points, list):
        raise InvalidInput(
            "points 应为 [[经度, 纬度], …] 的数组", "points must be an array of [lon, lat] pairs"
        )
    if len(points) > max_points:
        raise TooManyPoints(
            f"一次最多定位 {max_points} 个点,收到 {len(points)} 个",
            f"at most {max_points} points per request; got {len(points)}",
            max_points=max_points,
            received=len(points),
        )
    problems: list[PointProblem] = []
    floats = (int, float)
    for i, p in enumerate(points):
        # The common case in one cheap test; anything else gets its precise complaint below.
        if type(p) is list and len(p) == 2 and type(p[0]) in floats and type(p[1]) in floats:
            lon, lat = p
            if -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0:
                continue
            found = _problem(i, lon, lat)
        elif not isinstance(p, (list, tuple)) or len(p) != 2:
            found = PointProblem(i, f"第 {i} 个点应为 [经度, 纬度]", f"point {i} must be [lon, lat]")
        else:
            found = _problem(i, p[0], p[1])
        if found is not None:
            problems.append(found)
    if problems:
        raise BadCoordinates(problems, len(points))
    arr = np.array(points, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy()


def check_point(lon: Any, lat: Any) -> None:
    problem = _problem(None, lon, lat)
    if problem is not None:
        raise BadCoordinates([problem], 1)


# --- one point -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    lon: float
    lat: float
    crs: Crs
    wgs84: tuple[float, float]
    grid: GridRef | None
    regions: tuple[RegionRef, ...]
    nearest: GridRef | None
    nearest_regions: tuple[RegionRef, ...]
    distance_m: float | None
    layer_version: int

    @property
    def inside(self) -> bool:
        return self.grid is not None


def locate_point(*, lon: float, lat: float, crs: Crs = Crs.WGS84) -> Placement:
    check_point(lon, lat)
    crs = Crs(crs)
    x, y = to_wgs84(np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64), crs)
    layer = current_layer()
    found = layer.index.locate(float(x[0]), float(y[0]))
    grid = layer.grids[found] if found != OUTSIDE else None
    near = OUTSIDE
    distance: float | None = None
    if grid is None:
        idx, dist = layer.index.nearest_many(x, y)
        near = int(idx[0])
        if near != OUTSIDE:
            distance = round(float(dist[0]), 1)
    return Placement(
        lon=float(lon),
        lat=float(lat),
        crs=crs,
        wgs84=(float(x[0]), float(y[0])),
        grid=grid,
        regions=layer.chain(found) if grid is not None else (),
        nearest=layer.grids[near] if near != OUTSIDE else None,
        nearest_regions=layer.chain(near) if near != OUTSIDE else (),
        distance_m=distance,
        layer_version=layer.version,
    )


# --- many points -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPlacement:
    layer: Layer
    crs: Crs
    grid: NDArray[np.int32]  # index into layer.grids, OUTSIDE (-1) for none
    nearest: NDArray[np.int32] | None  # for points outside; -1 inside (and when not asked)
    distance_m: NDArray[np.float64] | None

    def __len__(self) -> int:
        return len(self.grid)

    @property
    def inside_count(self) -> int:
        return int((self.grid != OUTSIDE).sum())

    def grids_used(self) -> list[int]:
        used = self.grid[self.grid != OUTSIDE]
        if self.nearest is not None:
            used = np.concatenate([used, self.nearest[self.nearest != OUTSIDE]])
        return [int(i) for i in np.unique(used)]


def locate_points(
    *,
    lons: Sequence[float] | NDArray[np.float64],
    lats: Sequence[float] | NDArray[np.float64],
    crs: Crs = Crs.WGS84,
    nearest: bool = True,
) -> BatchPlacement:
    """Points already checked (parse_points); the nearest grid is looked up only for points
    outside every grid, and only when asked."""
    crs = Crs(crs)
    x, y = to_wgs84(lons, lats, crs)
    layer = current_layer()
    found = layer.index.locate_many(x, y)
    near_idx: NDArray[np.int32] | None = None
    near_dist: NDArray[np.float64] | None = None
    if nearest:
        near_idx = np.full(len(found), OUTSIDE, dtype=np.int32)
        near_dist = np.full(len(found), np.nan)
        out = np.flatnonzero(found == OUTSIDE)
        if len(out):
            near_idx[out], near_dist[out] = layer.index.nearest_many(x[out], y[out])
    return BatchPlacement(layer=layer, crs=crs, grid=found, nearest=near_idx, distance_m=near_dist)
