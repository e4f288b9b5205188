"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction

from gridgov.accounts.models import ApiToken, User
from gridgov.core import clock
from gridgov.core.audit import audit_record
from gridgov.core.models import AuditAction

TOKEN_PREFIX = "ggv_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str = "", days: int | None = None) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    ApiToken.objects.create(
        user=user,
        digest=_digest(token),
        prefix=token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    audit_record(action=AuditAction.TOKEN_CREATED, actor=user, object_type="user", object_id=str(user.pk),
                 detail={"name": name})
    return token


def token_user(token: str) -> User | None:
    """The active user a token belongs to, or None. Expired and revoked tokens do not work."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = ApiToken.objects.select_related("user").filter(digest=_digest(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    now = clock.now()
    if row.expires_at and row.expires_at <= now:
        return None
    # Touch at most once a minute: a hot API client must not turn every read into a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
