"""`gridgov core new-pii-key`: print a fresh key for GRIDGOV_PII_KEYS or GRIDGOV_PII_INDEX_KEY."""

from __future__ import annotations

import argparse
from typing import Any

from gridgov.core.crypto import new_key

HELP = "生成一个新的个人信息加密密钥 / print a new key for personal data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def handle(options: dict[str, Any], out: Any) -> None:
    out.write(new_key())
