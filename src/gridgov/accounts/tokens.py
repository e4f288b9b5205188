"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction

from gridgov.accounts.models import ApiToken, User
from gridgov.core import clock
from gridgov.core.audit import audit_record
from gridgov.core.errors import InvalidInput
from gridgov.core.models import AuditAction

TOKEN_PREFIX = "ggv_"  # noqa: S105 - a marker that tells our tokens apart, not a secret
MAX_DAYS = 3660


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str = "", days: int | None = None, issued_by: User | None = None
) -> str:
    if days is not None and not 0 < days <= MAX_DAYS:
        raise InvalidInput(
            f"有效天数须在 1 到 {MAX_DAYS} 之间", f"days must lie between 1 and {MAX_DAYS}", code="bad_days"
        )
    if not user.is_active:
        raise InvalidInput(
            f"用户 {user.username} 已停用", f"user {user.username} is inactive", code="inactive_user"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken.objects.create(
        user=user,
        digest=_digest(token),
        prefix=token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        actor=issued_by or user,
        object_type="accounts.apitoken",
        object_id=str(row.pk),
        detail={"user": user.username, "name": name, "prefix": row.prefix, "days": days},
    )
    return token


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User | None = None) -> bool:
    """True if the token was live and is now revoked; revoking twice keeps the first time."""
    revoked = bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    )
    if revoked:
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=actor,
            object_type="api_token",
            object_id=str(token.pk),
            detail={"user": token.user.get_username(), "prefix": token.prefix},
        )
    return revoked


@transaction.atomic
def token_revoke_all(*, user: User, actor: User | None = None) -> int:
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    if count:
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=actor,
            object_type="user",
            object_id=str(user.pk),
            detail={"user": user.get_username(), "count": count},
        )
    return count


def token_user(token: str) -> User | None:
    """The active user a token belongs to, or None. Expired and revoked tokens do not work."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user").filter(digest=_digest(token), revoked_at__isnull=True).first()
    )
    if row is None or not row.user.is_active:
        return None
    now = clock.now()
    if row.expires_at and row.expires_at <= now:
        return None
    # Touch at most once a minute: a hot API client must not turn every read into a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
