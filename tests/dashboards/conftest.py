"""Helpers of the big screen's tests: cases made through the services by the county's seat
agent, an API client per persona, a clean cache (the hot topics are cached)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from gridgov.accounts.tokens import token_create
from tests.cases.conftest import _media, _pii_keys, _quick_passwords, inside  # noqa: F401  (autouse fixtures)
from tests.cases_pages.conftest import TO_REGISTERED, act, make_case, seat  # noqa: F401  (fixture)

__all__ = ["TO_REGISTERED", "act", "inside", "make_case"]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


class Screen:
    """One persona reading the screen's API."""

    def __init__(self, user):
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")

    def get(self, endpoint: str, **params):
        return self.client.get(f"/api/v1/dashboards/{endpoint}", params)

    def ok(self, endpoint: str, **params) -> dict:
        response = self.get(endpoint, **params)
        assert response.status_code == 200, response.content.decode()[:800]
        return response.json()
