"""Simplified boundaries for the screen's map, kept per layer version (`SimplifiedShape`).

A place's map draws its outline, its children and maybe its grids, each simplified to about a
pixel of that map (`tolerance`). Simplifying is pure: the same boundary at the same tolerance
gives the same shape, so it is done once per layer version and stored in the database, which
every server process shares. A change to regions or grids bumps the layer version in its own
transaction (geo.services.layer_bump); rows of older versions are deleted when the first rows
of the new one are written. The first request after a change pays the simplification (the
cost measured in docs/benchmarks-stats.md), every later one reads stored rows.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from django.db.models import TextField
from django.db.models.functions import Cast

from gridgov.dashboards.models import SimplifiedShape
from gridgov.geo.models import Grid, LayerVersion, Region


def tolerance_key(tolerance: float) -> str:
    return f"{tolerance:.6g}"


def _layer_version() -> int:
    return LayerVersion.objects.order_by("pk").values_list("version", flat=True).first() or 0


def _simplify(boundary: str, tolerance: float) -> dict[str, Any]:
    geom = shapely.from_geojson(boundary)
    return json.loads(shapely.to_geojson(shapely.simplify(geom, tolerance, preserve_topology=True)))


def simplified(
    model: type[Region] | type[Grid], codes: list[str], tolerance: float
) -> dict[str, dict[str, Any]]:
    """Code → simplified GeoJSON geometry of these regions or grids, stored or made now."""
    version, key = _layer_version(), tolerance_key(tolerance)
    out = dict(
        SimplifiedShape.objects.filter(layer_version=version, tolerance=key, code__in=codes).values_list(
            "code", "geometry"
        )
    )
    missing = [c for c in codes if c not in out]
    if not missing:
        return out
    # The boundary as the database's text, parsed once by shapely (decoding it to Python and
    # encoding it again cost more than the simplification for a city's outline).
    rows = model.objects.filter(code__in=missing).values_list("code", Cast("boundary", TextField()))
    made = {code: _simplify(text, tolerance) for code, text in rows}
    SimplifiedShape.objects.filter(layer_version__lt=version).delete()
    SimplifiedShape.objects.bulk_create(
        [SimplifiedShape(layer_version=version, code=c, tolerance=key, geometry=g) for c, g in made.items()],
        ignore_conflicts=True,  # another process made the same rows meanwhile: they are equal
        batch_size=500,
    )
    return out | made
