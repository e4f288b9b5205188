"""gridgov open311 list-keys: the partners, their channel and whether their key works."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from gridgov.open311.models import Open311Client

HELP = "列出 Open311 接入方 / list partner systems"


def add_arguments(parser: CommandParser) -> None:
    pass


def handle(options: dict[str, Any], out: Any) -> None:
    rows = Open311Client.objects.order_by("name")
    if not rows:
        out.write("尚无接入方 / no partners yet")
    for c in rows:
        state = f"已吊销 {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "有效"
        used = f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "从未使用"
        out.write(f"{c.name}\t{c.prefix}…\t{c.channel}\t{state}\t{used}")
