"""Reads of the territory, always through the user's scope (accounts.scope)."""

from __future__ import annotations

import json
from typing import Any

import shapely
from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.scope import grids_visible, regions_visible
from gridgov.core.errors import NotFound
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region


def region_get(*, user: User, code: str) -> Region:
    region = regions_visible(user).select_related("parent").filter(code=code).first()
    if region is None:
        raise NotFound(f"没有可查看的区划 {code}", f"no region {code} within your scope")
    return region


def grid_get(*, user: User, code: str) -> Grid:
    grid = grids_visible(user).select_related("community").filter(code=code).first()
    if grid is None:
        raise NotFound(f"没有可查看的网格 {code}", f"no grid {code} within your scope")
    return grid


def region_chain(region: Region) -> list[Region]:
    """From the top of the tree down to this region."""
    chain: list[Region] = []
    node: Region | None = region
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain[::-1]


def region_children(*, user: User, region: Region) -> QuerySet[Region]:
    return regions_visible(user, Region.objects.filter(parent=region)).order_by("code")


def region_grids(*, user: User, region: Region) -> QuerySet[Grid]:
    return grids_visible(user, Grid.objects.filter(code__startswith=region.prefix)).order_by("code")


def _simplified(geometry: dict[str, Any], tolerance: float) -> dict[str, Any]:
    if tolerance <= 0:
        return geometry
    geom = shapely.from_geojson(json.dumps(geometry))
    return json.loads(shapely.to_geojson(shapely.simplify(geom, tolerance, preserve_topology=True)))


def _feature(obj: Region | Grid, properties: dict[str, Any], tolerance: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": obj.code,
        "geometry": _simplified(obj.boundary, tolerance),
        "properties": {
            "code": obj.code,
            "name": obj.name,
            "area_km2": round(obj.area_km2, 4),
            "source": obj.source,
            "centroid": [obj.centroid_lon, obj.centroid_lat],
            **properties,
        },
    }


def map_features(*, user: User, region: Region) -> dict[str, Any]:
    """What the territory map draws for a region: its children (regions or, for a community,
    its grids), simplified to about a pixel at the zoom that shows the region whole."""
    width = max(region.max_lon - region.min_lon, region.max_lat - region.min_lat)
    tolerance = width / 2000
    features: list[dict[str, Any]] = []
    if region.level == RegionLevel.COMMUNITY:
        for grid in region_grids(user=user, region=region):
            features.append(
                _feature(
                    grid,
                    {"kind": grid.kind, "kind_label": grid.get_kind_display(), "is_grid": True},
                    tolerance,
                )
            )
    else:
        for child in region_children(user=user, region=region):
            features.append(
                _feature(
                    child,
                    {"level": child.level, "level_label": child.get_level_display(), "is_grid": False},
                    tolerance,
                )
            )
    return {
        "type": "FeatureCollection",
        "bbox": list(region.bbox),
        "features": features,
        "region": _feature(region, {"level": region.level}, tolerance),
    }


def grids_feature_collection(*, user: User, region: Region) -> dict[str, Any]:
    """The grids of a region the user may see, in the grid file format (import-grids reads it back)."""
    from gridgov.geo.validation import feature_collection

    return feature_collection(region_grids(user=user, region=region))
