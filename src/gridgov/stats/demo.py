"""Demo data of the stats domain: none of its own. The summary tables are counted from the demo
cases (seeded before this runs), so the screen and the bulletins have figures at once; after
that the worker's `stats.refresh` keeps them current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridgov.geo.models import Region
from gridgov.stats.services import stats_rebuild


def seed_demo(*, city: Region, now: datetime, out: Any, options: dict[str, Any]) -> list[str]:
    """Idempotent: a rebuild recounts from the cases whatever the tables held."""
    counted = stats_rebuild()
    return [
        f"统计汇总表 / indicator tables: {counted['cells']:,} 明细行 cells, "
        f"{counted['rollups']:,} 汇总行 rollups (gridgov stats verify 核对 / checks them)"
    ]
