"""The fast paths of intake keep its guarantees: numbering without gaps when a key is replayed,
the same rows as the ORM would write, and the user of a token checked on every request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridgov.accounts import tokens
from gridgov.accounts.models import User
from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case, CaseEvent, CaseSequence, IdempotencyKey
from tests.cases.conftest import Api, case_body, ok

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    tokens.token_cache_clear()
    yield
    tokens.token_cache_clear()


def test_a_replayed_key_gives_back_the_number_it_took_so_the_next_case_follows_without_a_gap(
    world, personas, monday
):
    api = Api(personas.city_dispatcher)
    first = ok(api.create(case_body(world), key="call-gap-0001"), 201)["number"]
    assert ok(api.create(case_body(world), key="call-gap-0001"), 200)["number"] == first
    second = ok(api.create(case_body(world), key="call-gap-0002"), 201)["number"]
    assert first.endswith("-0001") and second.endswith("-0002")
    assert CaseSequence.objects.get().last == 2


def test_a_new_case_is_stored_with_its_event_key_and_encrypted_reporter(world, personas, monday):
    api = Api(personas.city_dispatcher)
    out = ok(api.create(case_body(world), key="call-rows-0001"), 201)
    case = Case.objects.get(number=out["number"])
    assert (case.grid, case.region, case.territory_code) == (
        world.grid,
        world.grid.community,
        world.grid.code,
    )
    assert case.reporter_phone == "13812345678" and case.reporter_phone_index
    with connection.cursor() as cursor:  # encrypted at rest: the stored text is not the number
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
        assert "13812345678" not in cursor.fetchone()[0]
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.to_status, event.actor) == (
        CaseAction.CREATE,
        "received",
        personas.city_dispatcher,
    )
    assert event.data["owner_center"] == case.owner_center.region.code
    key = IdempotencyKey.objects.get(key="call-rows-0001")
    assert (key.case, key.user) == (case, personas.city_dispatcher)
    assert ok(api.list(phone="13812345678"))["count"] == 1  # the blind index finds it


def test_a_user_stopped_by_another_process_is_refused_at_the_next_request(personas):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.token_create(user=personas.housing_handler)}")
    assert client.get("/api/v1/accounts/me").status_code == 200
    User.objects.filter(pk=personas.housing_handler.pk).update(is_active=False)  # no signal
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_a_role_changed_by_another_process_is_used_at_the_next_request(personas):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.token_create(user=personas.county_leader)}")
    assert ok(client.get("/api/v1/accounts/me"))["role"] == "leader"
    User.objects.filter(pk=personas.county_leader.pk).update(role="dispatcher")  # no signal
    assert ok(client.get("/api/v1/accounts/me"))["role"] == "dispatcher"


def test_a_known_token_costs_one_read_of_its_users_row(personas):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.token_create(user=personas.housing_handler)}")
    assert client.get("/api/v1/accounts/me").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/accounts/me").status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "accounts_user"' in s for s in sql) == 1
    # The token is trusted from the cache; the user (with its unit) is not built again.
    assert not any('"accounts_apitoken"' in s or 'JOIN "accounts_department"' in s for s in sql)
