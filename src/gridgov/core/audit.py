"""Writing to the audit log: one function, used by every domain."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from gridgov.core import clock
from gridgov.core.models import AuditAction, AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    proxies = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        # Only the addresses our own proxies appended can be trusted; the rest the client wrote.
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: AuditAction,
    actor: Any = None,
    username: str = "",
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        at=clock.now(),
        actor=user,
        username=username or (user.get_username() if user else ""),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=client_ip(request),
        detail=detail or {},
    )
