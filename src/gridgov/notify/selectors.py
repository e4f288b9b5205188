"""Reading notifications: a user sees only its own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gridgov.notify.models import Notification


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(user_id=user.pk)
    return qs.filter(read_at__isnull=True) if unread_only else qs
