"""`gridgov stats refresh`: apply the case events not yet read to the summary tables."""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.stats.services import stats_refresh

HELP = "读取新的事件流转记录并更新统计表 / apply new case events to the summary tables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def handle(options: dict[str, Any], out: Any) -> None:
    n = stats_refresh()
    out.write(f"已读取 {n} 条事件流转记录 / {n} case events applied")
