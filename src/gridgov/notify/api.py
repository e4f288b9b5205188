"""GET /api/v1/notify/notifications, POST /api/v1/notify/notifications/read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gridgov.core import clock
from gridgov.notify.models import Notification
from gridgov.notify.selectors import notifications_for
from gridgov.notify.services import notification_mark_read

router = Router(tags=["notify"])


class ListQuery(Schema):
    unread: bool = False
    limit: int = 50
    offset: int = 0


class ReadIn(Schema):
    ids: list[int] | None = None  # none: all of the caller's unread notifications


def _out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "case_number": n.case_number,
        "title": n.title,
        "body": n.body,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/notifications", response=dict)
def list_notifications(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    qs = notifications_for(request.user, unread_only=q.unread)
    limit = max(1, min(q.limit, 200))
    return {
        "count": qs.count(),
        "unread": notifications_for(request.user, unread_only=True).count(),
        "items": [_out(n) for n in qs[q.offset : q.offset + limit]],
    }


@router.post("/notifications/read", response=dict)
def mark_read(request: HttpRequest, payload: ReadIn) -> dict[str, Any]:
    n = notification_mark_read(user=request.user, ids=payload.ids, now=clock.now())
    return {"marked": n}
