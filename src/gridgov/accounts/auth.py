"""API authentication: a bearer token, or the browser's session (pages call the API too)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie this is not a browser call: answer 401, not a CSRF 403, so
        # a client whose bearer token was refused learns that its token is the problem.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated:
            return user
        return None


class BearerOrSession:
    """Ninja tries each in turn; listed as a class so api.py can say auth=BearerOrSession()."""

    def __new__(cls) -> Any:
        return [_Bearer(), _Session()]
