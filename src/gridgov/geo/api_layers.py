"""/api/v1/geo layers: the grid layer as GeoJSON, for GIS tools and for moving a layer between systems."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router

from gridgov.geo.selectors import grids_feature_collection, region_get

router = Router()


@router.get(
    "/grids.geojson",
    url_name="geo_grids_geojson",
    summary="区划内网格(GeoJSON)/ grids of a region as GeoJSON",
    description="The grids within `region` that the caller may see, as a FeatureCollection in the format "
    "`gridgov geo import-grids` reads. A region outside the caller's scope is a 404.",
)
def grids_geojson(request: HttpRequest, region: str) -> HttpResponse:
    user = request.user
    target = region_get(user=user, code=region)  # type: ignore[arg-type]
    collection = grids_feature_collection(user=user, region=target)  # type: ignore[arg-type]
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="grids-{target.code}.geojson"'
    return response
