from __future__ import annotations

from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县(区)"
    TOWNSHIP = "township", "乡镇(街道)"
    COMMUNITY = "community", "村(社区)"

    @property
    def depth(self) -> int:
        return list(RegionLevel).index(self)

    @property
    def child(self) -> RegionLevel | None:
        levels = list(RegionLevel)
        i = levels.index(self)
        return levels[i + 1] if i + 1 < len(levels) else None

    @property
    def code_length(self) -> int:
        return {"province": 6, "city": 6, "county": 6, "township": 9, "community": 12}[self.value]


class GridKind(models.TextChoices):
    COMMUNITY = "community", "社区网格"
    RURAL = "rural", "农村网格"
    DEDICATED = "dedicated", "专属网格"


class GeoSource(models.TextChoices):
    REAL = "real", "真实边界"
    SYNTHETIC = "synthetic", "合成(演示)"
    IMPORTED = "imported", "导入"


class Crs(models.TextChoices):
    WGS84 = "wgs84", "WGS84 (GPS)"
    GCJ02 = "gcj02", "GCJ-02 (国测局)"
    BD09 = "bd09", "BD-09 (百度)"
