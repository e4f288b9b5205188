"""`gridgov sla load-year 2026`: copy a year's holidays and make-up working days from
chinese-calendar into the admin's overrides, for review."""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.sla.services import calendar_year_load

HELP = "把 chinese-calendar 中某年的安排载入后台以便核对 / load a year's schedule into the overrides"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("year", type=int)


def handle(options: dict[str, Any], out: Any) -> None:
    result = calendar_year_load(year=options["year"])
    out.write(
        f"{result.year}年:新载入 {result.created} 天,已有录入保留 {result.kept} 天 / "
        f"{result.created} day(s) loaded, {result.kept} existing override(s) kept"
    )
