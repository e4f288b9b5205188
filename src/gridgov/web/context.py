from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    conf = settings.GRIDGOV
    return {
        "SITE_NAME": conf["SITE_NAME"],
        "TILE_URL": conf["TILE_URL"],
        "TILE_ATTRIBUTION": conf["TILE_ATTRIBUTION"],
    }
