"""The live feed: the newest cases and the open red ones, each list short and bounded.

New cases read the last FEED_DAYS days through the `created_at` index, red ones the open red
cases through the `colour` index; both narrowed to the place by the territory prefix.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from gridgov.cases.enums import CaseStatus, Channel
from gridgov.dashboards.place import Place, cases_in
from gridgov.sla.enums import Colour

FEED_DAYS = 7
FEED_MAX = 30
_FIELDS = (
    "id",
    "number",
    "title",
    "channel",
    "status",
    "colour",
    "is_open",
    "created_at",
    "due_at",
    "category__name",
    "region__name",
    "grid__name",
)


def _item(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    created = timezone.localtime(row["created_at"])
    due = row["due_at"]
    return {
        "id": row["id"],
        "number": row["number"],
        "title": row["title"],
        "channel": row["channel"],
        "channel_label": Channel(row["channel"]).label,
        "status_label": CaseStatus(row["status"]).label,
        "colour": row["colour"] or "",
        "category": row["category__name"],
        "place": row["grid__name"] or row["region__name"],
        "created_at": created.isoformat(),
        "created_hm": created.strftime("%m-%d %H:%M"),
        "overdue": bool(row["is_open"] and due is not None and due < now),
        "url": reverse("cases:detail", args=[row["number"]]),
    }


def feed_for(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    cases = cases_in(user=user, place=place)
    new_rows = (
        cases.filter(created_at__gte=now - timedelta(days=FEED_DAYS), created_at__lte=now)
        .order_by("-created_at", "-id")
        .values(*_FIELDS)[:FEED_MAX]
    )
    red_rows = (
        cases.filter(is_open=True, colour=Colour.RED).order_by("due_at", "id").values(*_FIELDS)[:FEED_MAX]
    )
    return {
        "place": place.out(),
        "days": FEED_DAYS,
        "new": [_item(r, now) for r in new_rows],
        "red": [_item(r, now) for r in red_rows],
        # The newest id shown, so the page can mark what arrived since the last poll.
        "latest_id": max((r["id"] for r in new_rows), default=0),
    }
