"""/api/v1/geo/locate: which grid holds a point (GET, one point) or many points (POST).

Any authenticated user may locate: the answer is about the territory (grid and region codes and
names, which the platform shows on every map), not about people, so no data scope applies.

The batch body is read and checked here by hand rather than by a pydantic schema, for two
reasons: every bad point gets its own message in Chinese and English (NaN, infinities, out of
range, not a pair), and a body of 100,000 points is larger than Django's general 2.5 MB upload
limit, so this endpoint applies its own limit, sized to LOCATE_MAX_POINTS.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from gridgov.core.errors import InvalidInput
from gridgov.geo.enums import Crs, GridKind, RegionLevel
from gridgov.geo.index import OUTSIDE, GridRef, RegionRef
from gridgov.geo.locate import TooManyPoints, locate_point, locate_points, parse_points

router = Router()

# A generous byte budget per point ("[104.12345678901234,35.12345678901234]," is 40 bytes).
_BYTES_PER_POINT = 64
_BODY_SLACK = 4096


class RegionOut(Schema):
    code: str
    name: str
    level: RegionLevel
    level_label: str


class GridOut(Schema):
    code: str
    name: str
    kind: GridKind
    kind_label: str


class NearestOut(Schema):
    grid: GridOut
    regions: list[RegionOut] = Field(description="from the province down to the grid's community")
    distance_m: float = Field(description="metres from the point to the grid's edge, on the sphere")


class LocateOut(Schema):
    inside: bool
    crs: Crs
    lon: float
    lat: float
    wgs84: list[float] = Field(description="[lon, lat] after conversion to WGS84")
    grid: GridOut | None = Field(description="the grid holding the point; null outside every grid")
    regions: list[RegionOut] = Field(description="from the province down to the community; empty outside")
    nearest: NearestOut | None = Field(description="outside every grid: the nearest grid; null inside")
    layer_version: int


def _region(r: RegionRef) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "level_label": r.level.label}


def _grid(g: GridRef) -> dict[str, Any]:
    return {"code": g.code, "name": g.name, "kind": g.kind, "kind_label": g.kind.label}


@router.get(
    "/locate",
    response=LocateOut,
    url_name="geo_locate",
    summary="点位落格 / locate one point",
    description=(
        "The grid that holds the point (lon, lat in `crs`) and the chain of regions above it; outside "
        "every grid, `inside` is false and `nearest` names the nearest grid and its distance in metres. "
        "A point exactly on the edge between grids belongs to the grid with the smallest code. "
        "NaN, infinities and coordinates out of range are a 422 with a message in Chinese and English."
    ),
)
def locate_one(request: HttpRequest, lon: float, lat: float, crs: Crs = Crs.WGS84) -> dict[str, Any]:
    p = locate_point(lon=lon, lat=lat, crs=crs)
    return {
        "inside": p.inside,
        "crs": p.crs,
        "lon": p.lon,
        "lat": p.lat,
        "wgs84": list(p.wgs84),
        "grid": _grid(p.grid) if p.grid else None,
        "regions": [_region(r) for r in p.regions],
        "nearest": (
            {
                "grid": _grid(p.nearest),
                "regions": [_region(r) for r in p.nearest_regions],
                "distance_m": p.distance_m,
            }
            if p.nearest is not None
            else None
        ),
        "layer_version": p.layer_version,
    }


class PointOut(Schema):
    grid: str | None = Field(description="code of the grid holding the point; null outside")
    inside: bool
    nearest: str | None = Field(None, description="outside only: code of the nearest grid")
    distance_m: float | None = Field(None, description="outside only: metres to the nearest grid")


class GridInfoOut(Schema):
    name: str
    kind: GridKind
    regions: list[str] = Field(description="region codes from the province down to the community")


class RegionInfoOut(Schema):
    name: str
    level: RegionLevel


class BatchOut(Schema):
    crs: Crs
    count: int
    inside: int
    outside: int
    layer_version: int
    points: list[PointOut] = Field(description="one per point, in the order sent")
    grids: dict[str, GridInfoOut] = Field(description="each grid named above, once, by code")
    regions: dict[str, RegionInfoOut] = Field(description="each region named in `grids`, once, by code")


def _max_points() -> int:
    configured: Any = settings.GRIDGOV["LOCATE_MAX_POINTS"]
    return int(configured)


def _batch_body_schema() -> dict[str, Any]:
    max_points = _max_points()
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["points"],
                    "properties": {
                        "crs": {"type": "string", "enum": [c.value for c in Crs], "default": Crs.WGS84.value},
                        "points": {
                            "type": "array",
                            "maxItems": max_points,
                            "description": "[[lon, lat], …] in `crs`",
                            "items": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 2,
                                "items": {"type": "number"},
                            },
                        },
                        "nearest": {
                            "type": "boolean",
                            "default": True,
                            "description": "look up the nearest grid of points outside every grid",
                        },
                    },
                },
                "example": {"crs": "gcj02", "points": [[103.834, 36.061], [103.9, 36.1]]},
            }
        },
    }


def _read_body(request: HttpRequest, max_points: int) -> Any:
    limit = max_points * _BYTES_PER_POINT + _BODY_SLACK
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = TooManyPoints(
        f"请求过大:一次最多定位 {max_points} 个点",
        f"request too large: at most {max_points} points per request",
        max_points=max_points,
    )
    if length > limit:
        raise too_big
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_big
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("请求体不是有效的 JSON", f"the request body is not valid JSON ({exc})") from exc


@router.post(
    "/locate",
    response=BatchOut,
    url_name="geo_locate_many",
    summary="批量点位落格 / locate many points",
    description=(
        'Body: `{"crs": "gcj02", "points": [[lon, lat], …], "nearest": true}`, at most '
        "LOCATE_MAX_POINTS (100,000) points. Answer: `points`, one entry per point in the order sent "
        "(`grid` code or null, `inside`, and for a point outside every grid `nearest` and `distance_m`); "
        "`grids` describes each grid named, once, with its chain of region codes; `regions` names each "
        "region once. Any bad point makes the whole request a 422 that lists the bad points (the first "
        "100) with a message in Chinese and English; too many points is a 422 with code too_many_points."
    ),
    openapi_extra={"requestBody": _batch_body_schema()},
)
def locate_many(request: HttpRequest) -> HttpResponse:
    max_points = _max_points()
    body = _read_body(request, max_points)
    if not isinstance(body, dict):
        raise InvalidInput(
            "请求体应为 JSON 对象", 'the body must be a JSON object: {"crs": …, "points": […]}'
        )
    try:
        crs = Crs(body.get("crs", Crs.WGS84))
    except (ValueError, TypeError) as exc:
        allowed = ", ".join(c.value for c in Crs)
        raise InvalidInput(f"坐标系应为 {allowed} 之一", f"crs must be one of {allowed}") from exc
    nearest = body.get("nearest", True)
    if not isinstance(nearest, bool):
        raise InvalidInput("nearest 应为 true 或 false", "nearest must be true or false")
    if "points" not in body:
        raise InvalidInput("缺少 points", "points is missing")
    lons, lats = parse_points(body["points"], max_points=max_points)
    result = locate_points(lons=lons, lats=lats, crs=crs, nearest=nearest)
    layer = result.layer

    codes = [g.code for g in layer.grids]
    points: list[dict[str, Any]] = []
    near = result.nearest.tolist() if result.nearest is not None else [OUTSIDE] * len(result)
    dist = result.distance_m.tolist() if result.distance_m is not None else [None] * len(result)
    for g, n, d in zip(result.grid.tolist(), near, dist, strict=True):
        if g != OUTSIDE:
            points.append({"grid": codes[g], "inside": True})
        elif n != OUTSIDE:
            points.append({"grid": None, "inside": False, "nearest": codes[n], "distance_m": round(d, 1)})
        else:
            points.append({"grid": None, "inside": False})
    grids: dict[str, Any] = {}
    regions: dict[str, Any] = {}
    for i in result.grids_used():
        chain = layer.chain(i)
        ref = layer.grids[i]
        grids[ref.code] = {"name": ref.name, "kind": ref.kind.value, "regions": [r.code for r in chain]}
        for r in chain:
            regions.setdefault(r.code, {"name": r.name, "level": r.level.value})
    inside = result.inside_count
    payload = {
        "crs": crs.value,
        "count": len(result),
        "inside": inside,
        "outside": len(result) - inside,
        "layer_version": layer.version,
        "points": points,
        "grids": grids,
        "regions": regions,
    }
    # Written directly: validating 100,000 entries against the schema again would double the time.
    return HttpResponse(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )
