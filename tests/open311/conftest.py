"""Helpers of the Open311 tests: the published schemas (copied into schemas/), a partner with
a key, and cases made through intake at chosen times."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET  # our own server's answers, not untrusted input

import pytest
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from gridgov.cases.enums import Channel
from gridgov.cases.services import CaseDraft, case_create
from gridgov.open311.services import client_create
from tests.cases.conftest import MONDAY, _media, _pii_keys, _quick_passwords, inside, monday  # noqa: F401
from tests.portal.conftest import _portal_settings  # noqa: F401  (autouse)

SCHEMAS = Path(__file__).parent / "schemas"


def _load(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(_load(name), default_specification=DRAFT7))
    for name in ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")
)


# jsonschema checks "date-time" only with an optional package we do not ship; RFC 3339 by hand.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError(f"not an RFC 3339 date-time: {value}")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def validate(name: str, instance) -> None:
    """Against the published schema, date-time formats included."""
    Draft7Validator(_load(name), registry=REGISTRY, format_checker=FORMATS).validate(instance)


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ET.fromstring(response.content)  # noqa: S314


@pytest.fixture
def partner(personas, monday):  # noqa: F811  (the imported fixture)
    client, key = client_create(name="省12345平台", channel=Channel.UPPER_TRANSFER, now=MONDAY)
    return type("Partner", (), {"client": client, "key": key})()


def make_case(
    world, actor, *, at: datetime, category: str = "2001", channel=Channel.HOTLINE_12345, n: int = 0
):
    lon, lat = inside(world.grid)
    draft = CaseDraft(
        channel=channel, category_code=category, title=f"道路旁乱堆乱放 {n}",
        description="电话 13811112222 反映", lon=lon, lat=lat, address="某路 12 号",
        reporter_name="王五", reporter_phone="13811112222",
    )  # fmt: skip
    case, _ = case_create(actor=actor, draft=draft, idempotency_key=f"o311-test-{n:06d}-{at:%j}", now=at)
    return case


__all__ = ["MONDAY", "make_case", "timedelta", "validate", "xml"]


@pytest.fixture
def seeded(world, personas, partner):
    """A few cases of every kind, so the GET operations have something to answer."""
    for n, (category, days) in enumerate([("2001", 1), ("2002", 5), ("2101", 30)]):
        make_case(world, personas.city_dispatcher, at=MONDAY - timedelta(days=days), category=category, n=n)
    return partner
