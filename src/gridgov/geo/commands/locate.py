"""`gridgov geo locate LON LAT [--crs wgs84|gcj02|bd09] [--json]`"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gridgov.geo.enums import Crs
from gridgov.geo.locate import locate_point

HELP = "点位落格:坐标所在网格及其上级区划 / which grid holds a point, and the regions above it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lon", type=float, help="经度 / longitude")
    parser.add_argument("lat", type=float, help="纬度 / latitude")
    parser.add_argument(
        "--crs",
        choices=[c.value for c in Crs],
        default=Crs.WGS84.value,
        help="坐标系(默认 wgs84;小程序、高德为 gcj02,百度为 bd09) / coordinate system of LON LAT",
    )
    parser.add_argument("--json", action="store_true", help="输出 JSON / print JSON")


def handle(options: dict[str, Any], out: Any) -> None:
    p = locate_point(lon=options["lon"], lat=options["lat"], crs=Crs(options["crs"]))
    if options["json"]:
        out.write(
            json.dumps(
                {
                    "inside": p.inside,
                    "grid": p.grid.code if p.grid else None,
                    "regions": [r.code for r in p.regions],
                    "nearest": p.nearest.code if p.nearest else None,
                    "distance_m": p.distance_m,
                    "wgs84": list(p.wgs84),
                    "layer_version": p.layer_version,
                },
                ensure_ascii=False,
            )
        )
        return
    where = f"({p.lon}, {p.lat}) {p.crs.value}"
    if p.grid is not None:
        out.write(f"{where} → 网格 grid {p.grid.code} {p.grid.name}({p.grid.kind.label})")
        for r in reversed(p.regions):
            out.write(f"  {r.level.label} {r.code} {r.name}")
        return
    if p.nearest is None:
        out.write(f"{where} → 不在任何网格内,网格图层为空 / outside: the grid layer is empty")
        return
    chain = " / ".join(r.name for r in p.nearest_regions)
    out.write(
        f"{where} → 不在任何网格内 / outside every grid; "
        f"最近网格 nearest grid {p.nearest.code} {p.nearest.name}, {p.distance_m:,.1f} m ({chain})"
    )
