"""API authentication: a bearer token, or the browser's session (pages call the API too)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from gridgov.accounts.tokens import token_user


class _Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class _Session(APIKeyCookie):
    # Session auth keeps Django's CSRF check for unsafe methods (csrf=True is the default).
    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class BearerOrSession:
    """Ninja tries each in turn; listed as a class so api.py can say auth=BearerOrSession()."""

    def __new__(cls) -> Any:  # type: ignore[misc]
        return [_Bearer(), _Session()]
