"""The screen's one table: boundaries simplified for its map, stored once per layer version."""

from __future__ import annotations

from django.db import models


class SimplifiedShape(models.Model):
    """A region's or grid's boundary (codes of the two never collide: grids have 15 digits)
    simplified at one tolerance, as the map of one place draws it. Computed on the first
    request that needs it and kept until the layer changes (`geo.models.LayerVersion`): a
    drill-down simplified a county's 500 grids, or the city's outline, on every request."""

    layer_version = models.PositiveBigIntegerField()
    code = models.CharField(max_length=15)
    tolerance = models.CharField(max_length=24)  # degrees, as `shapes.tolerance_key` writes it
    geometry = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["layer_version", "tolerance", "code"], name="dashboards_shape_key"
            )
        ]
