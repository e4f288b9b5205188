from __future__ import annotations

import re

from gridgov.core.errors import InvalidInput

CLIENT_KEY = re.compile(r"^[\x21-\x7e]{8,64}$")


def client_key_checked(key: str) -> str:
    """The phone makes one key per item (a UUID); the same key sent again is the same item."""
    key = (key or "").strip()
    if not CLIENT_KEY.match(key):
        raise InvalidInput(
            "client_key 应为 8 至 64 个可见 ASCII 字符(客户端生成的唯一编号)",
            "client_key must be 8 to 64 printable ASCII characters, unique per item, made by the client",
            code="bad_client_key",
        )
    return key
