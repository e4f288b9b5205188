"""`gridgov geo import-grids FILE.geojson [--crs wgs84|gcj02|bd09] [--dry-run]`"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gridgov.core.errors import InvalidInput
from gridgov.geo.enums import Crs
from gridgov.geo.services import GridFileInvalid, grids_import
from gridgov.geo.validation import count_by_kind

HELP = (
    "导入城市自有网格图层(GeoJSON),全部校验通过才写入 / import a city's own grid layer from GeoJSON: "
    "everything is validated first, then all is written or nothing"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="GeoJSON FeatureCollection")
    parser.add_argument(
        "--crs",
        choices=[c.value for c in Crs],
        default=Crs.WGS84.value,
        help="文件坐标系 / coordinate system of the file (default wgs84)",
    )
    parser.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only, write nothing")


def _read(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InvalidInput(
            f"无法读取文件 {path}:{exc.strerror}", f"cannot read {path}: {exc.strerror}"
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"{path} 不是 UTF-8 编码的 JSON:{exc}", f"{path} is not UTF-8 JSON: {exc}"
        ) from exc


def handle(options: dict[str, Any], out: Any) -> None:
    collection = _read(options["file"])
    try:
        report = grids_import(collection=collection, crs=Crs(options["crs"]), dry_run=options["dry_run"])
    except GridFileInvalid as exc:
        out.write("要素\t网格编码\t错误类型\t说明 / feature\tcode\tkind\tmessage")
        for error in exc.errors:
            out.write(error.line())
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(count_by_kind(exc.errors).items()))
        out.write(f"共 {len(exc.errors)} 处错误 / {len(exc.errors)} error(s): {summary}")
        raise
    verb = "校验通过(未写入) / valid (dry run, nothing written)" if report.dry_run else "已导入 / imported"
    out.write(
        f"{verb}: {report.features} 个网格 / grids in {report.communities} 个社区 / communities; "
        f"新增 created {report.created}, 更新 updated {report.updated}, 删除 deleted {report.deleted}"
        + ("" if report.layer_version is None else f"; layer version {report.layer_version}")
    )
