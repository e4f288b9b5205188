"""`gridgov geo export-grids REGION_CODE FILE` (FILE '-' writes to standard output)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gridgov.core.errors import NotFound
from gridgov.geo.models import Grid, Region
from gridgov.geo.validation import feature_collection

HELP = (
    "导出一个区划内的网格为 GeoJSON(可直接用 import-grids 导回) / export the grids of a region as GeoJSON "
    "(import-grids reads it back as is)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("region", help="区划代码 / region code, e.g. 620102")
    parser.add_argument("file", help="输出文件,- 为标准输出 / output file, - for standard output")


def handle(options: dict[str, Any], out: Any) -> None:
    # The command line is the operator's tool, like the database itself: no user scope applies here.
    region = Region.objects.filter(code=options["region"]).first()
    if region is None:
        raise NotFound(f"没有区划 {options['region']}", f"no region {options['region']}")
    grids = Grid.objects.filter(code__startswith=region.prefix).order_by("code")
    text = json.dumps(feature_collection(grids), ensure_ascii=False)
    if options["file"] == "-":
        out.write(text)
        return
    Path(options["file"]).write_text(text, encoding="utf-8")
    out.write(f"{region.name}({region.code}):{grids.count()} 个网格 / grids → {options['file']}")
