"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from gridgov.accounts.models import ApiToken, Center, Department, User
from gridgov.core import clock
from gridgov.core.audit import audit_record
from gridgov.core.errors import InvalidInput
from gridgov.core.models import AuditAction
from gridgov.geo.models import Region

TOKEN_PREFIX = "ggv_"  # noqa: S105 - a marker that tells our tokens apart, not a secret
MAX_DAYS = 3660
# How long this process trusts a token it has looked up (docs/cases.md, "Caches"): a token
# revoked by another process stops working here at most this long after the revocation.
CACHE_SECONDS = 5.0
CACHE_MAX = 10_000  # entries; past it the cache starts afresh


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
        _token_edited()
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
        _token_edited()
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=actor,
            object_type="user",
            object_id=str(user.pk),
            detail={"user": user.get_username(), "count": count},
        )
    return count


@dataclass(frozen=True)
class _Seen:
    token_id: int
    user_id: int
    expires_at: datetime | None
    last_used_at: datetime | None
    at: float  # cache clock when read


@dataclass(frozen=True)
class _Known:
    row: tuple[Any, ...]  # the user's row as read by `_user_row`, every column
    user: User  # built from that row, with its centre or department and region (no boundary)
    at: float  # cache clock when built


# digest -> what the database said about the token, per process. Only live tokens are kept.
_seen: dict[str, _Seen] = {}
# user id -> the user object last built for a token of that user (read-only: handed out as copies).
_known: dict[int, _Known] = {}
_seen_lock = threading.Lock()
cache_clock: Callable[[], float] = time.monotonic  # a test may move it


def token_cache_clear() -> None:
    """Forget every token looked up and every user built: called on every edit of a token made
    in this process (revocation included), at once and again when the edit commits."""
    with _seen_lock:
        _seen.clear()
        _known.clear()


def _token_edited(sender: Any = None, **kwargs: Any) -> None:
    token_cache_clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(token_cache_clear)


post_save.connect(_token_edited, sender=ApiToken, dispatch_uid="gridgov.accounts.tokens.saved")
post_delete.connect(_token_edited, sender=ApiToken, dispatch_uid="gridgov.accounts.tokens.deleted")
# The user's own row is compared on every call; its centre, department and their regions are
# part of the built object, so an edit of one of those in this process drops what was built.
for _model in (Center, Department, Region, User):
    for _signal, _what in ((post_save, "saved"), (post_delete, "deleted")):
        _signal.connect(
            _token_edited, sender=_model, dispatch_uid=f"gridgov.accounts.tokens.{_model.__name__}_{_what}"
        )


def _look_up(digest: str) -> _Seen | None:
    now = cache_clock()
    seen = _seen.get(digest)
    if seen is not None and now - seen.at < CACHE_SECONDS:
        return seen
    row = (
        ApiToken.objects.filter(digest=digest, revoked_at__isnull=True)
        .values_list("pk", "user_id", "expires_at", "last_used_at")
        .first()
    )
    with _seen_lock:
        if row is None:
            _seen.pop(digest, None)
            return None
        seen = _Seen(*row, at=now)
        if len(_seen) >= CACHE_MAX:
            _seen.clear()
        _seen[digest] = seen
    return seen


_user_sql: str | None = None


def _user_row(pk: int) -> tuple[Any, ...] | None:
    """Every column of an active user's row, as stored: one plain statement, no ORM compile
    (the ORM query with its joins costs more than a millisecond to build)."""
    global _user_sql
    if _user_sql is None:
        qn = connection.ops.quote_name
        cols = ", ".join(qn(str(f.column)) for f in User._meta.concrete_fields)
        _user_sql = (
            f"SELECT {cols} FROM {qn(User._meta.db_table)} "  # noqa: S608 - our own names
            f"WHERE {qn(str(User._meta.pk.column))} = %s AND {qn('is_active')}"
        )
    with connection.cursor() as cursor:
        cursor.execute(_user_sql, [pk])
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def _user(pk: int) -> User | None:
    """The active user with its centre or department and region (not its boundary), which scope
    checks read next. The user's row is read on every call, so a stopped user, a changed role or
    binding takes effect at once; the object is built again only when that row changed or the
    built one is older than CACHE_SECONDS (the centre, department and regions it carries)."""
    row = _user_row(pk)
    if row is None:
        return None
    now = cache_clock()
    known = _known.get(pk)
    if known is None or known.row != row or now - known.at >= CACHE_SECONDS:
        user = (
            User.objects.select_related("center__region", "department__region")
            .defer("center__region__boundary", "department__region__boundary")
            .filter(pk=pk, is_active=True)
            .first()
        )
        if user is None:
            return None
        # Stamped with the row read before the build: a change in between is seen next call.
        known = _Known(row, user, now)
        with _seen_lock:
            if len(_known) >= CACHE_MAX:
                _known.clear()
            _known[pk] = known
    # A copy per call (its own relation cache): a request may annotate its user; the centre,
    # department and regions it carries are shared and read-only.
    return copy.copy(known.user)


def token_user(token: str) -> User | None:
    """The active user a token belongs to, or None. Expired and revoked tokens do not work.

    The token itself is looked up at most once per CACHE_SECONDS per process (revocations made
    in this process clear that cache at once); the user's row is read on every call (`_user`),
    so a stopped user or a changed role takes effect at once."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(token)
    seen = _look_up(digest)
    if seen is None:
        return None
    now = clock.now()
    if seen.expires_at and seen.expires_at <= now:
        return None
    user = _user(seen.user_id)
    if user is None:
        return None
    # Touch at most once a minute: a hot API client must not turn every read into a write.
    if seen.last_used_at is None or now - seen.last_used_at > timedelta(minutes=1):
        touched = ApiToken.objects.filter(pk=seen.token_id, revoked_at__isnull=True).update(last_used_at=now)
        with _seen_lock:
            if not touched:  # revoked or deleted meanwhile, unseen by this process
                _seen.pop(digest, None)
                return None
            if _seen.get(digest) is seen:
                _seen[digest] = dataclasses.replace(seen, last_used_at=now)
    return user
