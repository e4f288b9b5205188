from __future__ import annotations

from gridgov.core.errors import DomainError


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
