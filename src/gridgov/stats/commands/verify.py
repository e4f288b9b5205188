"""`gridgov stats verify [--region CODE]`: recount from the cases and compare with the tables."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from gridgov.core.errors import NotFound
from gridgov.geo.models import Region
from gridgov.stats.services import stats_verify

HELP = "核对汇总表与事件表重算结果是否一致 / check the summary tables against a recount"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default="", help="区划代码 / region code (default: everything)")
    parser.add_argument("--limit", type=int, default=50, help="最多列出的差异 / differences to print")


def handle(options: dict[str, Any], out: Any) -> None:
    prefix = ""
    if options["region"]:
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise NotFound(
                f"区划不存在:{options['region']}", f"no region {options['region']}", code="region_not_found"
            )
        prefix = region.prefix
    differences = stats_verify(prefix=prefix, limit=options["limit"])
    for line in differences:
        out.write(line)
    if differences:
        raise CommandError(
            f"汇总表与重算不一致 / the summary tables disagree with a recount ({len(differences)})"
        )
    out.write("汇总表与重算一致 / the summary tables agree with a recount")
