"""Idle sessions expire (settings.SESSION_COOKIE_AGE), so activity must push the expiry on.

Django's SESSION_SAVE_EVERY_REQUEST does that by writing the session row on every request: a
big screen polling every 5 s, or a phone app syncing its outbox, then writes the database all day
for nothing, and two requests of one page at once race to save the same row. Refreshing at most
once a minute keeps the idle limit to within a minute and makes reads read-only again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REFRESH_EVERY = 60  # seconds
KEY = "_refreshed"


class SessionRefreshMiddleware:
    """Listed after SessionMiddleware, so the session it marks is saved on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # An empty session (anonymous, or just logged out) is not kept alive.
        if session is not None and not session.is_empty() and session.keys() - {KEY}:
            now = int(time.time())
            if now - int(session.get(KEY, 0)) >= REFRESH_EVERY:
                session[KEY] = now  # marks it modified: saved with a new expiry
        return response
