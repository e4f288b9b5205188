"""The per-process caches intake reads (cases/caches.py, accounts/tokens.py): an edit made in this
process is used by the very next call, one made elsewhere within the stated bound, and a
rolled-back edit leaves nothing behind. Durations are moved on the caches' own clocks:
time-machine does not move time.monotonic()."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridgov.accounts import tokens
from gridgov.accounts.models import ApiToken
from gridgov.cases import caches
from gridgov.cases.enums import RoutingTarget
from gridgov.cases.models import Case, DeadlinePolicy, RoutingRule
from gridgov.core import clock
from gridgov.sla.durations import Duration
from tests.cases.conftest import Api, case_body, leaf_category, ok

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def shift(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(autouse=True)
def ticks(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(caches, "clock", fake)
    monkeypatch.setattr(tokens, "cache_clock", fake)
    caches.caches_clear()
    tokens.token_cache_clear()
    yield fake
    caches.caches_clear()
    tokens.token_cache_clear()


def routed(api: Api, world) -> str | None:
    department = ok(api.create(case_body(world)), 201)["routed_department"]
    return department and department["code"]


def test_an_admin_edit_of_a_routing_rule_is_used_by_the_next_intake(
    world, personas, housing_bureau, monday, client
):
    api = Api(personas.city_dispatcher)
    assert routed(api, world) is None  # the snapshot is loaded, without a rule
    client.force_login(personas.admin)
    form = {
        "region": world.county.pk,
        "category": leaf_category("0101").pk,
        "target": RoutingTarget.DEPARTMENT,
        "department": housing_bureau.pk,
        "center": "",
        "active": "on",
    }
    response = client.post("/admin/cases/routingrule/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert routed(api, world) == housing_bureau.code  # no wait: this process dropped the snapshot
    rule = RoutingRule.objects.get()
    response = client.post(f"/admin/cases/routingrule/{rule.pk}/change/", {**form, "active": ""})
    assert response.status_code == 302
    assert routed(api, world) is None


def test_an_edit_made_by_another_process_is_seen_within_a_second(
    world, personas, housing_bureau, monday, ticks
):
    api = Api(personas.city_dispatcher)
    assert routed(api, world) is None
    # No signal reaches this process: what another worker's edit looks like from here.
    RoutingRule.objects.bulk_create([
        RoutingRule(
            region=world.county,
            category=leaf_category("0101"),
            target=RoutingTarget.DEPARTMENT,
            department=housing_bureau,
        )
    ])  # fmt: skip
    ticks.shift(0.5)
    assert routed(api, world) is None  # still the snapshot: within the bound
    ticks.shift(caches.TTL_SECONDS)
    assert routed(api, world) == housing_bureau.code
    RoutingRule.objects.update(active=False)
    ticks.shift(caches.TTL_SECONDS + 0.01)
    assert routed(api, world) is None


def test_a_rolled_back_edit_leaves_nothing_in_the_snapshot(world, personas, housing_bureau, monday):
    api = Api(personas.city_dispatcher)
    assert routed(api, world) is None

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        RoutingRule.objects.create(
            region=world.county,
            category=leaf_category("0101"),
            target=RoutingTarget.DEPARTMENT,
            department=housing_bureau,
        )
        assert routed(api, world) == housing_bureau.code  # its own uncommitted edit: read through
        raise Undo
    assert routed(api, world) is None
    stored = caches.routing_rules._value
    assert stored is None or not stored[1]


def test_a_policy_edit_sets_the_deadlines_of_the_next_case(world, personas, monday):
    api = Api(personas.city_dispatcher)
    ok(api.create(case_body(world)), 201)
    policy = DeadlinePolicy.objects.create(category=leaf_category("0101"), finish_amount=9)
    number = ok(api.create(case_body(world)), 201)["number"]
    assert Case.objects.get(number=number).policy_finish == Duration.workdays(9).short()
    policy.finish_amount = 4
    policy.save()
    number = ok(api.create(case_body(world)), 201)["number"]
    assert Case.objects.get(number=number).policy_finish == Duration.workdays(4).short()
    policy.delete()
    number = ok(api.create(case_body(world)), 201)["number"]
    assert Case.objects.get(number=number).policy_finish != Duration.workdays(4).short()


def test_a_retired_category_is_refused_by_the_next_intake(world, personas, monday):
    api = Api(personas.city_dispatcher)
    ok(api.create(case_body(world)), 201)
    category = leaf_category("0101")
    category.active = False
    category.save()
    response = api.create(case_body(world))
    assert response.status_code == 422 and response.json()["code"] == "bad_category"


def test_a_warm_intake_reads_no_configuration_and_no_token(world, personas, monday):
    api = Api(personas.city_dispatcher)
    ok(api.create(case_body(world)), 201)  # warms the caches
    with CaptureQueriesContext(connection) as ctx:
        ok(api.create(case_body(world, title="第二件")), 201)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for table in ("cases_category", "cases_routingrule", "cases_deadlinepolicy", "accounts_apitoken"):
        assert f'FROM "{table}"' not in sql, table
    # The user comes with its centre and region in one query: no second read for the scope.
    assert sql.count('FROM "accounts_center"') == 0


def test_a_token_revoked_in_this_process_stops_working_at_once(personas):
    token = tokens.token_create(user=personas.housing_handler)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert c.get("/api/v1/accounts/me").status_code == 200  # now cached
    assert tokens.token_revoke(token=ApiToken.objects.get())
    assert c.get("/api/v1/accounts/me").status_code == 401


def test_a_token_revoked_by_another_process_stops_working_within_the_bound(personas, ticks):
    token = tokens.token_create(user=personas.housing_handler)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert c.get("/api/v1/accounts/me").status_code == 200
    ApiToken.objects.update(revoked_at=clock.now())  # no signal: as seen from another process
    ticks.shift(tokens.CACHE_SECONDS - 1)
    assert c.get("/api/v1/accounts/me").status_code == 200  # within the documented bound
    ticks.shift(1)
    assert c.get("/api/v1/accounts/me").status_code == 401


def test_a_cached_token_still_expires_on_time_and_its_user_can_be_stopped(personas):
    import time_machine

    token = tokens.token_create(user=personas.housing_handler, days=1)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert c.get("/api/v1/accounts/me").status_code == 200
    with time_machine.travel(clock.now() + timedelta(days=1, seconds=1)):
        assert c.get("/api/v1/accounts/me").status_code == 401
    personas.housing_handler.is_active = False
    personas.housing_handler.save(update_fields=["is_active"])
    assert c.get("/api/v1/accounts/me").status_code == 401
