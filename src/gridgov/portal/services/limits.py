"""Fixed-window rate limits kept in the database, so both web workers count together.

Each hit is its own short transaction: a refused request must still count, and the count must
not roll back with the request it refused."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from gridgov.portal.conf import conf
from gridgov.portal.enums import LimitScope
from gridgov.portal.errors import RateLimited
from gridgov.portal.models import RateCounter


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _human(seconds: int) -> tuple[str, str]:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时", f"{seconds // 3600} hour(s)"
    return f"{max(seconds // 60, 1)} 分钟", f"{max(seconds // 60, 1)} minute(s)"


def rate_limit_hit(*, scope: LimitScope, key: str, now: datetime) -> int:
    """Count one request in its bucket; refuse (429) past the limit. Returns the count."""
    limit, seconds = conf().limits[scope]
    start = _window(now, seconds)
    digest = _digest(key)
    with transaction.atomic():
        row, created = RateCounter.objects.get_or_create(scope=scope, key=digest, window_start=start)
        if created:
            # The bucket's earlier windows are over: drop them as the new one opens.
            RateCounter.objects.filter(scope=scope, key=digest, window_start__lt=start).delete()
            RateCounter.objects.filter(window_start__lt=now - timedelta(days=2)).delete()
        RateCounter.objects.filter(pk=row.pk).update(count=F("count") + 1)
        count = RateCounter.objects.values_list("count", flat=True).get(pk=row.pk)
    if count > limit:
        retry = int((start + timedelta(seconds=seconds) - now).total_seconds()) + 1
        zh, en = _human(seconds)
        raise RateLimited(
            f"操作过于频繁:{scope.label}每 {zh}最多 {limit} 次,请 {retry} 秒后再试",
            f"too many requests: at most {limit} per {en}; retry in {retry} s",
            retry_after=retry,
        )
    return count
