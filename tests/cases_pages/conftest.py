"""Helpers of the case pages' tests: cases made through the services by a county dispatcher
(a county centre can dispatch to the county's bureaus), the test key ring for personal data."""

from __future__ import annotations

import itertools

import pytest

from gridgov.accounts.enums import Role
from gridgov.cases.enums import CaseAction, Channel
from gridgov.cases.models import Case
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create
from gridgov.core import clock
from tests.cases.conftest import _media, _pii_keys, inside  # noqa: F401  (autouse fixtures)
from tests.conftest import _center, make_user

_keys = itertools.count(1)

TO_REGISTERED = (CaseAction.ACCEPT, CaseAction.VERIFY, CaseAction.REGISTER)


@pytest.fixture
def seat(personas, world):
    """A 12345 seat agent / dispatcher of the county centre."""
    return make_user("seat", Role.DISPATCHER, center=_center(world.county))


def make_case(actor, grid, *, title="楼道墙体开裂", phone="13812345678", category="0101", until=(), **extra):
    lon, lat = inside(grid)
    draft = CaseDraft(
        channel=extra.pop("channel", Channel.HOTLINE_12345),
        category_code=category,
        title=title,
        description=extra.pop("description", "三单元二楼楼道墙体出现裂缝"),
        lon=lon,
        lat=lat,
        address=extra.pop("address", "某小区三单元"),
        reporter_name=extra.pop("name", "张三"),
        reporter_phone=phone,
    )
    case, _ = case_create(
        actor=actor, draft=draft, idempotency_key=f"pages-test-{next(_keys):06d}", now=clock.now()
    )
    for action in until:
        act(actor, case.number, action)
    return Case.objects.get(pk=case.pk)


def act(actor, number, action, **params):
    return case_act(actor=actor, number=number, action=action, params=ActParams(**params), now=clock.now())
