"""Helpers of the field tests: an API client per persona, a community police officer on the
worker's beat, cases waiting for the worker (to verify, to check), a key person on its ledger,
and a phone-sized browser with its position inside the worker's grid."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta

import pytest
from django.test import Client

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Department, GridStaff
from gridgov.accounts.tokens import token_create
from gridgov.cases.enums import CaseAction, Channel
from gridgov.cases.models import Case
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create
from gridgov.core import clock
from tests.cases.conftest import _media, _pii_keys, _quick_passwords, inside  # noqa: F401  (autouse fixtures)
from tests.conftest import _center, close_context, make_user
from tests.registry.conftest import make_key_person, make_resident

PHONE = {"width": 390, "height": 844}
IDLE = """(() => {
  const app = document.getElementById("field");
  if (!app || !app.whenIdle) return true;
  return Promise.race([app.whenIdle(), new Promise((resolve) => setTimeout(() => resolve(false), 10000))]);
})()"""


class Api:
    def __init__(self, user):
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1/field{path}", params)

    def post(self, path: str, body: dict):
        return self.client.post(
            f"/api/v1/field{path}", json.dumps(body, default=str), content_type="application/json"
        )

    def form(self, path: str, data: dict):
        return self.client.post(path, data)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()[:800]
    return response.json()


@pytest.fixture
def police(world, personas):
    """The community police officer of the worker's grid (警格 linked to the grid)."""
    officer = make_user("pol", Role.POLICE, center=_center(world.community))
    GridStaff.objects.create(grid=world.grid, user=officer, duty=GridDuty.POLICE)
    return officer


@pytest.fixture
def other_worker(world, personas):
    """A grid worker of the neighbouring grid of the same community."""
    worker = make_user("gw2", Role.GRID_WORKER, center=_center(world.community))
    GridStaff.objects.create(grid=world.other_grid, user=worker, duty=GridDuty.WORKER)
    return worker


def _act(actor, number: str, action: CaseAction, **params) -> Case:
    return case_act(actor=actor, number=number, action=action, params=ActParams(**params), now=clock.now())


def open_case(world, personas, *, grid=None, title="楼道堆放杂物", key: str = "") -> Case:
    """A case in the grid, taken on by the township centre: waiting for the grid's verification."""
    lon, lat = inside(grid or world.grid)
    case, _ = case_create(
        actor=personas.township_dispatcher,
        draft=CaseDraft(channel=Channel.HOTLINE_12345, category_code="0101", title=title, lon=lon, lat=lat),
        idempotency_key=key or f"field-{(grid or world.grid).code}-{len(title)}-{abs(hash(title))}",
        now=clock.now(),
    )
    return _act(personas.township_dispatcher, case.number, CaseAction.ACCEPT)


def reported_case(world, personas) -> Case:
    """A case its department has reported back: waiting for the grid's check."""
    bureau = Department.objects.create(
        region=world.township, code=f"{world.township.code}-ZHB", name="街道综合办", short_name="综合办"
    )
    handler = make_user("twh", Role.HANDLER, department=bureau)
    case = open_case(world, personas, title="路灯不亮")
    d = personas.township_dispatcher
    _act(personas.grid_worker, case.number, CaseAction.VERIFY)
    _act(d, case.number, CaseAction.REGISTER)
    _act(d, case.number, CaseAction.DISPATCH, department_code=bureau.code)
    _act(handler, case.number, CaseAction.HANDLE)
    return _act(handler, case.number, CaseAction.REPORT_BACK, note="已更换灯泡")


@pytest.fixture
def key_person(world, personas):
    from gridgov.registry.services.categories import categories_load

    categories_load()  # data a migration loads, which a browser test's flush empties
    resident = make_resident(personas.grid_worker, world, name="李四")
    return make_key_person(
        personas.grid_worker,
        resident,
        worker=personas.grid_worker,
        # Under management for 60 days and never visited: overdue whatever the frequency.
        since=clock.now().date() - timedelta(days=60),
    )


@pytest.fixture
def phone(browser, world):
    """A phone (390×844, touch) whose GPS stands inside the worker's grid."""
    lon, lat = inside(world.grid)
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    # Let the app's last requests finish: the live server must not be writing a session while
    # the test's database is flushed.
    with contextlib.suppress(Exception):  # the page may already be gone: nothing left to wait for
        page.evaluate(IDLE)
    close_context(context)


def iso(at: datetime) -> str:
    return at.isoformat()
