"""gridgov open311 new-key NAME: issue a partner's api_key (printed once, stored hashed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from gridgov.cases.enums import Channel
from gridgov.core import clock
from gridgov.open311.services import client_create

HELP = "为 Open311 接入方签发 api_key(只显示一次)/ issue an api_key to a partner system"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("name", help="接入方名称 / the partner's name")
    parser.add_argument(
        "--channel",
        choices=Channel.values,
        default=Channel.UPPER_TRANSFER,
        help="其请求的来源渠道 / the channel its requests come in on (default upper_transfer)",
    )
    parser.add_argument(
        "--center", default="", help="受理中心的区划代码(默认市级)/ region code of the receiving centre"
    )


def handle(options: dict[str, Any], out: Any) -> None:
    client, key = client_create(
        name=options["name"],
        channel=Channel(options["channel"]),
        center_code=options["center"],
        now=clock.now(),
    )
    out.write(f"接入方 {client.name}({client.get_channel_display()}),登记账号 {client.user.username}")
    out.write("api_key(只显示这一次,请妥善转交 / shown once):")
    out.write(key)
