"""Helpers of the registry tests: valid ID numbers on demand, residents and key persons made
through the services, an API client per persona, the test key ring for personal data."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff
from gridgov.accounts.tokens import token_create
from gridgov.core import clock
from gridgov.registry import services
from gridgov.registry.enums import RiskLevel
from gridgov.registry.validators import id_check_char
from tests.cases.conftest import _media, _pii_keys, _quick_passwords, inside  # noqa: F401  (autouse fixtures)
from tests.conftest import _center, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

_seq = itertools.count(1)


def id_number(seq: int | None = None, *, born: str = "19900307", male: bool = True) -> str:
    """A valid GB 11643 number: Lanzhou Chengguan (620102), the given birth date, a serial."""
    n = next(_seq) if seq is None else seq
    serial = f"{(n * 2 + (1 if male else 0)) % 1000:03d}"
    first17 = f"620102{born}{serial}"
    return first17 + id_check_char(first17)


def make_resident(actor, world, *, grid=None, name="张三", phone="13812345678", **extra):
    grid = grid or world.grid
    return services.resident_save(
        actor=actor,
        name=name,
        id_number=extra.pop("id_number", None) or id_number(),
        phone=phone,
        community_code=grid.community.code,
        grid_id=grid.pk,
        now=extra.pop("now", None) or clock.now(),
        **extra,
    )


def make_key_person(
    actor, resident, *, category="drug_user", risk=RiskLevel.HIGH, worker=None, now=None, since=None
):
    return services.key_person_create(
        actor=actor,
        resident_id=resident.pk,
        category_code=category,
        risk_level=risk,
        reason="依据公安推送名单列管",
        grid_worker_id=worker.pk if worker else None,
        since=since,
        now=now or clock.now(),
    )


class Api:
    def __init__(self, user):
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1/registry{path}", params)

    def post(self, path: str, body: dict):
        return self.client.post(
            f"/api/v1/registry{path}", json.dumps(body, default=str), content_type="application/json"
        )

    def put(self, path: str, body: dict):
        return self.client.put(
            f"/api/v1/registry{path}", json.dumps(body, default=str), content_type="application/json"
        )


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()[:800]
    return response.json()


@pytest.fixture
def world(world):
    """The shared world, with the registry's categories: data a migration loads, which a
    transactional test's flush (any suite's browser tests) empties."""
    from gridgov.registry.services.categories import categories_load

    categories_load()
    return world


@pytest.fixture
def police(world):
    officer = make_user("police1", Role.POLICE, center=_center(world.community))
    GridStaff.objects.create(grid=world.grid, user=officer, duty=GridDuty.POLICE)
    return officer
