from __future__ import annotations

from gridgov.core.errors import DomainError


class BadRequest(DomainError):
    """GeoReport v2 answers a malformed request (a missing or bad parameter) with a 400."""

    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    # GeoReport v2: a missing or invalid api_key is a 403.
    status = 403
    code = "invalid_api_key"
