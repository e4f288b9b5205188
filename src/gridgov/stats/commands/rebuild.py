"""`gridgov stats rebuild`: recount the summary tables from the cases table."""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.stats.services import stats_rebuild

HELP = "从事件表重新统计全部汇总表 / recount the summary tables from scratch"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def handle(options: dict[str, Any], out: Any) -> None:
    r = stats_rebuild()
    out.write(
        f"已重建:明细 {r['cells']} 行,汇总 {r['rollups']} 行,在办事实 {r['facts']} 行 / "
        f"rebuilt: {r['cells']} cells, {r['rollups']} rollups, {r['facts']} facts"
    )
