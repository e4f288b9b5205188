"""`gridgov core rotate-pii-keys`: re-encrypt personal data under the newest key of the ring."""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.core.crypto import pii_rotate

HELP = "用最新密钥重新加密个人信息 / re-encrypt personal data under the newest key"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reindex", action="store_true", help="也重算盲索引(索引密钥变更后) / recompute blind indexes too"
    )


def handle(options: dict[str, Any], out: Any) -> None:
    done = pii_rotate(reindex=options["reindex"])
    for field, count in done.items():
        out.write(f"{field}: {count}")
    if not done:
        out.write("没有加密字段 / no encrypted fields")
