"""Helpers of the cases tests: a logged-in API client per persona, a point inside a grid, a
fixed Monday morning, a test key ring for personal data."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import shapely
import time_machine
from django.test import Client

from gridgov.accounts.tokens import token_create
from gridgov.cases.models import Case, Category
from gridgov.core import crypto
from gridgov.geo.models import Grid

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A plain working Monday, far from any holiday.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
BEIJING = (116.397, 39.909)  # far outside Lanzhou


def ring_for_tests() -> crypto.KeyRing:
    return crypto.KeyRing(keys=(b"k" * 32,), index_key=b"i" * 32)


@pytest.fixture(autouse=True)
def _pii_keys():
    crypto.keyring_reset(ring_for_tests())
    yield
    crypto.keyring_reset(None)


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def inside(grid: Grid) -> tuple[float, float]:
    p = shapely.point_on_surface(shapely.from_geojson(json.dumps(grid.boundary)))
    return p.x, p.y


class Api:
    """One persona's API session."""

    def __init__(self, user):
        self.user = user
        # A bearer token rather than a session: sessions expire while tests travel in time.
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
        self._keys = 0

    def create(self, body: dict, *, key: str | None = None, **headers):
        self._keys += 1
        key = key if key is not None else f"key-{self.user.username}-{self._keys:04d}"
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return self.client.post(
            "/api/v1/cases", json.dumps(body), content_type="application/json", **extra, **headers
        )

    def act(self, number: str, action: str, **fields):
        return self.client.post(
            f"/api/v1/cases/{number}/actions/{action}",
            json.dumps(fields, default=str),
            content_type="application/json",
        )

    def get(self, number: str, **params):
        return self.client.get(f"/api/v1/cases/{number}", params)

    def list(self, **params):
        return self.client.get("/api/v1/cases", params)


def leaf_category(code: str = "0101") -> Category:
    return Category.objects.get(code=code)


def case_body(world, **overrides) -> dict:
    lon, lat = inside(world.grid)
    body = {
        "channel": "hotline_12345",
        "category": "0101",
        "title": "楼道墙体开裂",
        "description": "三单元二楼楼道墙体出现裂缝",
        "location": {"lon": lon, "lat": lat},
        "address": "某小区三单元",
        "reporter": {"name": "张三", "phone": "13812345678"},
        "external_refs": {"12345": "GS-2026-000123"},
    }
    body.update(overrides)
    return body


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()[:800]
    return response.json()


def case_of(number: str) -> Case:
    return Case.objects.get(number=number)
