"""`gridgov cases load-categories`: add the shipped taxonomy's missing categories."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gridgov.cases.services.categories import DATA, categories_load

HELP = "载入事项分类(只增不删) / load the category taxonomy (adds, never deletes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", type=Path, default=DATA, help="JSON taxonomy file")


def handle(options: dict[str, Any], out: Any) -> None:
    loaded = categories_load(path=options["file"])
    zh = f"新增 {loaded.created} 个,更名 {loaded.updated} 个"
    out.write(f"{zh} / {loaded.created} added, {loaded.updated} renamed")
