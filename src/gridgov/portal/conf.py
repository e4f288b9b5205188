"""The portal's knobs, read from settings.GRIDGOV["PORTAL"] over these defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings

from gridgov.portal.enums import LimitScope

# (requests, window in seconds) per scope.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    LimitScope.SUBMIT_IP: (20, 3600),
    LimitScope.SUBMIT_PHONE: (5, 3600),
    # Tracking needs a number and a phone; these stop anyone trying phones against a number.
    LimitScope.TRACK_IP: (60, 600),
    LimitScope.TRACK_CASE: (10, 600),
}


@dataclass(frozen=True)
class PortalConf:
    limits: dict[str, tuple[int, int]]
    min_fill_seconds: int = 3  # a person needs longer than this to fill the form
    max_fill_seconds: int = 6 * 3600  # a form token older than this is stale
    max_photos: int = 6
    max_photo_bytes: int = 5 * 1024 * 1024
    public_page_size: int = 20


def conf() -> PortalConf:
    raw: dict[str, Any] = dict(getattr(settings, "GRIDGOV", {}).get("PORTAL", {}))
    limits = {**DEFAULT_LIMITS, **{str(k): tuple(v) for k, v in raw.pop("LIMITS", {}).items()}}
    known = {f.name for f in fields(PortalConf)}
    values = {k.lower(): v for k, v in raw.items() if k.lower() in known}
    return PortalConf(limits=limits, **values)
