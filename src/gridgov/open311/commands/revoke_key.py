"""gridgov open311 revoke-key NAME: the partner's key stops working at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from gridgov.core import clock
from gridgov.open311.services import client_revoke

HELP = "吊销 Open311 接入方的 api_key / revoke a partner's api_key"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("name")


def handle(options: dict[str, Any], out: Any) -> None:
    client = client_revoke(name=options["name"], now=clock.now())
    out.write(f"已吊销 {client.name} 的 api_key / revoked at {client.revoked_at:%Y-%m-%d %H:%M}")
