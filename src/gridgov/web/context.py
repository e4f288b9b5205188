from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from gridgov.web.nav import entries_for


def site(request: HttpRequest) -> dict[str, Any]:
    conf = settings.GRIDGOV
    user = getattr(request, "user", None)
    return {
        "NAV": entries_for(user) if user is not None and user.is_authenticated else [],
        "SITE_NAME": conf["SITE_NAME"],
        "TILE_URL": conf["TILE_URL"],
        "TILE_ATTRIBUTION": conf["TILE_ATTRIBUTION"],
    }
