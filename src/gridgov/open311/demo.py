"""Demo: an Open311 partner key (演示数据(合成)), printed when it is issued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridgov.cases.enums import Channel
from gridgov.core.errors import DomainError
from gridgov.geo.models import Region
from gridgov.open311.models import Open311Client
from gridgov.open311.services import client_create

NAME = "演示接入方(合成)"


def seed_demo(*, city: Region, now: datetime, out: Any, options: dict[str, Any]) -> list[str]:
    existing = Open311Client.objects.filter(name=NAME).first()
    if existing is not None:
        # Keys are shown once; a later run can only say where to get a new one.
        return [
            f"Open311: /open311/v2/discovery.json — 演示 api_key 已签发({existing.prefix}…),"
            f"重签:gridgov open311 revoke-key {NAME} 后 new-key"
        ]
    try:
        _, key = client_create(name=NAME, channel=Channel.UPPER_TRANSFER, now=now)
    except DomainError as exc:
        return [f"Open311: /open311/v2/ (演示 api_key 未签发 / no demo key: {exc.message_zh})"]
    return [f"Open311: /open311/v2/discovery.json — 演示 api_key: {key}"]
