"""The fast paths of intake keep its guarantees: numbering without gaps when a key is replayed,
the same rows as the ORM would write, and the user of a token checked on every request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridgov.accounts import tokens
from gridgov.accounts.models import User
from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case, CaseEvent, CaseSequence, IdempotencyKey
from gridgov.sla.models import CalendarDay
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


def _orm_values(obj) -> dict[str, object]:
    """What the ORM itself would write for each column of an unsaved instance (pre_save, then
    get_db_prep_save), the reference for intake's own INSERT."""
    return {
        f.column: f.get_db_prep_save(f.pre_save(obj, True), connection)
        for f in type(obj)._meta.concrete_fields
        if not f.primary_key
    }


def _statement_values(sql: str, params: list) -> dict[str, object]:
    """Column → value of one `INSERT … (cols) VALUES (marks)` made by intake._insert_sql, with
    its inlined literals read back."""
    literal = {"NULL": None, "TRUE": True, "FALSE": False, "''": "", "0": 0, "1": 1}
    cols = [c.strip().strip('"') for c in sql.split("(", 1)[1].split(")", 1)[0].split(",")]
    marks = [m.strip() for m in sql.split("VALUES (", 1)[1].rsplit(")", 1)[0].split(", ")]
    values, rest = {}, list(params)
    for col, mark in zip(cols, marks, strict=True):
        values[col] = rest.pop(0) if mark == "%s" else literal[mark]
    assert not rest
    return values


def test_intakes_own_insert_writes_what_the_orm_would_write(world, personas, monday):
    from gridgov.cases.api import CaseIn, _draft
    from gridgov.cases.services import intake
    from gridgov.core import clock
    from gridgov.core.crypto import EncryptedTextField, decrypt

    actor = personas.city_dispatcher
    draft = _draft(CaseIn(**case_body(world, urgency="urgent")))
    now = clock.now()
    plan = intake._plan(actor=actor, draft=draft)
    case, event = intake._build(actor=actor, draft=draft, plan=plan, now=now)
    case.number = "620102-20260302-0001"
    key = IdempotencyKey(user=actor, key="call-same-0001", request_hash="f" * 64, created_at=now)
    for obj in (case, event, key):
        ours = _statement_values(*intake._insert_sql(obj, {}))
        orm = _orm_values(obj)
        assert ours.keys() == orm.keys()
        for f in type(obj)._meta.concrete_fields:
            if f.primary_key:
                continue
            if isinstance(f, EncryptedTextField):  # a fresh nonce each time: compare the plain text
                assert decrypt(ours[f.column], aad=f.aad) == decrypt(orm[f.column], aad=f.aad)
            else:
                a, b = ours[f.column], orm[f.column]
                # The same type, or a subclass: on PostgreSQL the ORM wraps integers in
                # psycopg's Int4/Int8 (int subclasses) where intake passes the plain int.
                assert isinstance(a, type(b)) or isinstance(b, type(a)), f.column
                # psycopg's Jsonb wrapper does not compare by value: compare what it wraps.
                assert getattr(a, "obj", a) == getattr(b, "obj", b), f.column


def test_the_cases_table_keeps_only_the_indexes_its_reads_use():
    """Every intake writes every index of cases_case (migration 0005 says why each dropped one
    is safe): no LIKE twin but territory_code's, no single-column index beside a composite that
    leads with the same column, and the unique number still unique."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "cases_case")
    indexed = [tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"]]
    twins = sorted(name for name in found if name.endswith("_like"))
    assert len(twins) == (1 if connection.vendor == "postgresql" else 0)
    assert all("territory_code" in name for name in twins)
    for column in ("received_by_id", "created_by_id", "routed_department_id", "owner_department_id"):
        assert (column,) not in indexed, column
    assert ("owner_department_id", "status") in indexed
    for column in ("number", "status", "colour", "reporter_phone_index", "territory_code", "created_at"):
        assert (column,) in indexed, column
    unique = [tuple(c["columns"]) for c in found.values() if c["unique"] and not c["primary_key"]]
    assert unique == [("number",)]
    with connection.cursor() as cursor:
        keys = connection.introspection.get_constraints(cursor, "cases_idempotencykey")
    assert ("user_id",) not in [tuple(c["columns"]) for c in keys.values() if c["index"] and not c["unique"]]


def test_a_holiday_entered_between_two_intakes_moves_the_second_cases_deadline(world, personas, monday):
    # The clocks keep each day's answers per calendar (services/clocks.py): an edit of the
    # calendar is still seen by the very next case.
    api = Api(personas.city_dispatcher)
    first = ok(api.create(case_body(world), key="call-cal-0001"), 201)
    CalendarDay.objects.create(date=date(2026, 3, 3), is_workday=False, name="本地调整")  # Tuesday
    second = ok(api.create(case_body(world), key="call-cal-0002"), 201)
    due_first = Case.objects.get(number=first["number"]).finish_due_at
    due_second = Case.objects.get(number=second["number"]).finish_due_at
    assert due_second - due_first == timedelta(days=1)  # three working days now end on Friday
