"""Helpers of the portal tests: a key ring, fast passwords, a fixed Monday, a citizen's API
client, a point in a grid, and a case driven through the loop to closed by the staff."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from gridgov.cases.enums import CaseAction
from gridgov.cases.services import ActParams, case_act
from gridgov.core import clock
from tests.cases.conftest import _media, _pii_keys, _quick_passwords, inside, monday  # noqa: F401  (fixtures)

__all__ = ["inside"]

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _portal_settings(settings):
    # No minimum fill time, except where a test asks for it; limits as shipped.
    settings.GRIDGOV = {**settings.GRIDGOV, "PORTAL": {"MIN_FILL_SECONDS": 0}}


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 40)).save(buf, format="PNG")
    return buf.getvalue()


class Citizen:
    """Somebody on a phone, with no account: the portal's JSON API through Django's client."""

    def __init__(self, ip: str = "10.1.2.3"):
        self.client = Client(REMOTE_ADDR=ip)
        self._keys = 0

    def token(self) -> str:
        return self.client.get("/api/v1/portal/form").json()["form_token"]

    def report(self, *, key: str | None = None, photos: list[tuple[str, bytes]] = (), **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self._keys += 1
        data = {"kind": "issue", "category": "2001", "text": "小区门口堆满建筑垃圾,影响通行", "phone": PHONE}
        data.update(fields)
        data.setdefault("form_token", self.token())
        if photos:
            data["photos"] = [SimpleUploadedFile(n, b, content_type="image/png") for n, b in photos]
        return self.client.post(
            "/api/v1/portal/reports", data, HTTP_IDEMPOTENCY_KEY=key or f"citizen-key-{self._keys:04d}"
        )

    def track(self, number: str, phone: str = PHONE):
        return self.client.post(
            "/api/v1/portal/track", {"number": number, "phone": phone}, content_type="application/json"
        )

    def rate(self, number: str, rating: str, phone: str = PHONE, comment: str = ""):
        return self.client.post(
            "/api/v1/portal/rate",
            {"number": number, "phone": phone, "rating": rating, "comment": comment},
            content_type="application/json",
        )


@pytest.fixture
def citizen():
    return Citizen()


def close_through_loop(personas, number: str, *, result: str = "已清运完毕") -> None:
    """The staff's side: accept → verify → register → dispatch → handle → report back → check → close."""
    desk, handler = personas.city_dispatcher, personas.housing_handler
    dept = handler.department.code
    steps = [
        (desk, CaseAction.ACCEPT, ActParams()),
        (desk, CaseAction.VERIFY, ActParams(note="现场属实")),
        (desk, CaseAction.REGISTER, ActParams()),
        (desk, CaseAction.DISPATCH, ActParams(department_code=dept, note="内部:请王科长今天处理")),
        (handler, CaseAction.HANDLE, ActParams()),
        (handler, CaseAction.REPORT_BACK, ActParams(note=result)),
        (desk, CaseAction.CHECK, ActParams(passed=True)),
        (desk, CaseAction.CLOSE, ActParams()),
    ]
    for actor, action, params in steps:
        case_act(actor=actor, number=number, action=action, params=params, now=clock.now())
