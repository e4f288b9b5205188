"""The territory: one tree of regions and one layer of grids.

Geometry is stored as GeoJSON (WGS84) with its bbox and centroid beside it, so that both SQLite
and PostgreSQL hold it without a spatial extension; point-in-polygon work happens in memory in
shapely (see geo/index.py), which is faster than PostGIS for this shape of data (docs/benchmarks.md).
"""

from __future__ import annotations

from django.db import models

from gridgov.geo.enums import GeoSource, GridKind, RegionLevel


def scope_prefix(code: str, level: str) -> str:
    """The code prefix that every descendant's code starts with (GB/T 2260 drops trailing zeros
    at province and city level: 620000 → 62, 620100 → 6201)."""
    if level == RegionLevel.PROVINCE and code.endswith("0000"):
        return code[:2]
    # Province-administered county-level cities (仙桃 429004, 潜江 429005) share their first four
    # digits with each other: only a code ending in 00 owns the whole 4-digit prefix.
    if level == RegionLevel.CITY and code.endswith("00"):
        return code[:4]
    return code


class Shape(models.Model):
    boundary = models.JSONField(help_text="GeoJSON geometry, WGS84")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    centroid_lon = models.FloatField()
    centroid_lat = models.FloatField()
    area_km2 = models.FloatField()
    source = models.CharField(max_length=16, choices=GeoSource.choices, default=GeoSource.IMPORTED)

    class Meta:
        abstract = True

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class Region(Shape):
    code = models.CharField("区划代码", max_length=12, unique=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    def save(self, *args, **kwargs):
        # Keeps the derived prefix true whoever saves.
        self.prefix = scope_prefix(self.code, self.level)
        super().save(*args, **kwargs)


class Grid(Shape):
    code = models.CharField("网格编码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类型", max_length=16, choices=GridKind.choices, default=GridKind.COMMUNITY)
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="grids")
    households = models.PositiveIntegerField("户数(估)", default=0)
    population = models.PositiveIntegerField("人口(估)", default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = "网格"
        verbose_name_plural = "网格"

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class LayerVersion(models.Model):
    """One row, bumped in the same transaction as any change to regions or grids, so that every
    process's in-memory spatial index can tell cheaply that it is stale."""

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)
