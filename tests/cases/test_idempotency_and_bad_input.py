"""A retried intake never makes a second case; a bad request is a clear 4xx and writes nothing."""

from __future__ import annotations

import json

import pytest

from gridgov.cases.models import Attachment, Case, CaseEvent, CaseSequence, IdempotencyKey, Notice
from tests.cases.conftest import BEIJING, Api, case_body, ok

pytestmark = pytest.mark.django_db

TABLES = (Case, CaseEvent, IdempotencyKey, Notice, Attachment, CaseSequence)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def test_the_same_key_and_body_twice_make_one_case_and_replay_it(world, personas, monday):
    api = Api(personas.city_dispatcher)
    body = case_body(world)
    first = ok(api.create(body, key="hotline-call-000001"), 201)
    again = ok(api.create(body, key="hotline-call-000001"), 200)
    assert again["number"] == first["number"]
    assert Case.objects.filter(number=first["number"]).count() == 1
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(world, personas, monday):
    api = Api(personas.city_dispatcher)
    ok(api.create(case_body(world), key="hotline-call-000002"), 201)
    before = _counts()
    response = api.create(case_body(world, title="别的事"), key="hotline-call-000002")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert _counts() == before


def test_keys_belong_to_their_user(world, personas, monday):
    body = case_body(world)
    a = ok(Api(personas.city_dispatcher).create(body, key="shared-key-0001"), 201)
    b = ok(Api(personas.township_dispatcher).create(body, key="shared-key-0001"), 201)
    assert a["number"] != b["number"]


def test_a_missing_key_is_a_422(world, personas, monday):
    before = _counts()
    response = Api(personas.city_dispatcher).create(case_body(world), key="")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_required"
    assert _counts() == before


def _without(body: dict, field: str) -> dict:
    return {k: v for k, v in body.items() if k != field}


BAD_BODIES = {
    "no title": lambda b: _without(b, "title"),
    "blank title": lambda b: {**b, "title": "   "},
    "title too long": lambda b: {**b, "title": "长" * 201},
    "unknown channel": lambda b: {**b, "channel": "fax"},
    "unknown urgency": lambda b: {**b, "urgency": "whenever"},
    "unknown category": lambda b: {**b, "category": "9999"},
    "unknown field": lambda b: {**b, "colour": "red"},
    "latitude out of range": lambda b: {**b, "location": {"lon": 103.8, "lat": 95}},
    "longitude not a number": lambda b: {**b, "location": {"lon": "east", "lat": 36}},
    "half a location": lambda b: {**b, "location": {"lon": 103.8}},
    "unknown crs": lambda b: {**b, "location": {"lon": 103.8, "lat": 36, "crs": "mars"}},
    "unknown region": lambda b: {**_without(b, "location"), "region_code": "999999"},
    "bad phone": lambda b: {**b, "reporter": {"name": "张三", "phone": "12"}},
    "anonymous with a name": lambda b: {**b, "reporter": {"name": "张三", "anonymous": True}},
    "someone else's attachment": lambda b: {**b, "attachment_ids": [987654]},
    "refs not strings": lambda b: {**b, "external_refs": {"12345": ["x"]}},
}


@pytest.mark.parametrize("mutation", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_bad_intake_is_a_4xx_with_a_message_and_writes_nothing(world, personas, monday, mutation):
    api = Api(personas.city_dispatcher)
    before = _counts()
    response = api.create(mutation(case_body(world)))
    assert 400 <= response.status_code < 500, response.content
    assert response.json().get("message")
    assert _counts() == before


def test_malformed_json_is_a_4xx_and_writes_nothing(world, personas, monday):
    api = Api(personas.city_dispatcher)
    before = _counts()
    response = api.client.post(
        "/api/v1/cases", "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="broken-json-01"
    )
    assert 400 <= response.status_code < 500
    assert _counts() == before


def test_an_outside_point_is_accepted_not_refused(world, personas, monday):
    body = case_body(world, location={"lon": BEIJING[0], "lat": BEIJING[1], "crs": "gcj02"})
    assert ok(Api(personas.city_dispatcher).create(body), 201)["location"]["outside_city"] is True


BAD_ACTS = [
    ("frobnicate", {}, 404),
    ("create", {}, 404),
    ("accept", {"colour": "red"}, 422),
    ("accept", {"expected_version": "x"}, 422),
    ("reject", {}, 422),
    ("close", {}, 409),
    ("merge", {"parent": "620102-20000101-0001"}, 404),
    ("follow_up", {"rating": "meh"}, 422),
]


@pytest.mark.parametrize(("action", "fields", "status"), BAD_ACTS)
def test_a_bad_act_is_a_4xx_and_writes_nothing(world, personas, monday, action, fields, status):
    api = Api(personas.city_dispatcher)
    number = ok(api.create(case_body(world)), 201)["number"]
    before = _counts()
    response = api.act(number, action, **fields)
    assert response.status_code == status, response.content
    assert _counts() == before
    assert Case.objects.get(number=number).version == 1


def test_acting_on_a_case_nobody_has_is_a_404(world, personas):
    assert Api(personas.city_dispatcher).act("620102-20000101-0001", "accept").status_code == 404


def test_list_filters_refuse_nonsense(world, personas):
    api = Api(personas.city_dispatcher)
    assert api.list(status="nonsense").status_code == 422
    assert api.list(colour="purple").status_code == 422
    assert api.list(limit=0).status_code == 422
    assert api.list(created_from="2026-03-05", created_to="2026-03-01").status_code == 422
    assert json.loads(api.list().content)["count"] == 0
