"""Two people act on the same case at the same moment: exactly one wins, the other gets a 409."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center, User
from gridgov.accounts.tokens import token_create
from gridgov.cases.models import Case, CaseEvent, CaseSequence, IdempotencyKey
from gridgov.cases.services import CaseDraft, case_create
from gridgov.core import clock
from tests.cases.conftest import inside

pytestmark = pytest.mark.django_db


def _in_own_thread(fn):
    """Run fn on a fresh connection that commits, as another web worker would."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn()
        finally:
            connections.close_all()

    t = threading.Thread(target=target)
    t.start()
    t.join()
    return out.get("value")


def _accept_at_once(number: str, tokens: list[str]) -> list[int]:
    barrier = threading.Barrier(len(tokens))
    codes: list[int] = []

    def worker(token: str) -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            codes.append(
                client.post(
                    f"/api/v1/cases/{number}/actions/accept", "{}", content_type="application/json"
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(codes)


def test_two_dispatchers_accept_the_same_case_and_exactly_one_wins(world, request):
    if connection.vendor != "postgresql":
        personas = request.getfixturevalue("personas")
        # SQLite takes one writer at a time (BEGIN IMMEDIATE), so "at once" means one after the
        # other: the second sees the case already accepted and gets the same 409.
        from tests.cases.conftest import Api, case_body, ok

        a, b = Api(personas.city_dispatcher), Api(personas.city_dispatcher)
        number = ok(a.create(case_body(world)), 201)["number"]
        codes = sorted([a.act(number, "accept").status_code, b.act(number, "accept").status_code])
        assert codes == [200, 409]
        assert CaseEvent.objects.filter(case__number=number, action="accept").count() == 1
        return

    # PostgreSQL: the test's own transaction is invisible to other connections, so the case and
    # its people are committed from another thread, and removed again at the end. (No personas
    # here: their uncommitted centres would hold the locks the other thread needs.)
    lon, lat = inside(world.grid)

    def setup():
        center, _ = Center.objects.get_or_create(region=world.city, defaults={"name": "市中心"})
        users = [
            User.objects.create(username=f"race-{i}", role=Role.DISPATCHER, center=center) for i in range(2)
        ]
        draft = CaseDraft(channel="hotline_12345", category_code="0101", title="race", lon=lon, lat=lat)
        case, _ = case_create(actor=users[0], draft=draft, idempotency_key="race-case-0001", now=clock.now())
        return case.number, [token_create(user=u) for u in users], [u.pk for u in users], center.pk

    number, tokens, user_ids, center_id = _in_own_thread(setup)
    try:
        assert _accept_at_once(number, tokens) == [200, 409]
        accepted = _in_own_thread(
            lambda: (
                Case.objects.get(number=number).status,
                CaseEvent.objects.filter(case__number=number, action="accept").count(),
            )
        )
        assert accepted == ("accepted", 1)
    finally:

        def teardown():
            from gridgov.accounts.models import ApiToken
            from gridgov.cases.models import Notice
            from gridgov.core.models import AuditLog

            case = Case.objects.get(number=number)
            IdempotencyKey.objects.filter(case=case).delete()
            Notice.objects.filter(case=case).delete()
            CaseEvent.objects.filter(case=case).delete()
            case.delete()
            CaseSequence.objects.all().delete()
            ApiToken.objects.filter(user_id__in=user_ids).delete()
            AuditLog.objects.filter(actor_id__in=user_ids).delete()
            User.objects.filter(pk__in=user_ids).delete()
            Center.objects.filter(pk=center_id, users__isnull=True).delete()

        _in_own_thread(teardown)


def test_two_requests_with_one_key_at_once_make_one_case_and_both_get_it(world, request):
    """On PostgreSQL each request writes in autocommit (one statement, its own transaction): the
    second waits on the first's key row, fails on it, and answers the first's case."""
    lon, lat = inside(world.grid)
    body = {
        "channel": "hotline_12345", "category": "0101", "title": "同一来电重复提交",
        "location": {"lon": lon, "lat": lat}, "reporter": {"name": "张三", "phone": "13812345678"},
    }  # fmt: skip
    if connection.vendor != "postgresql":
        # One writer at a time: "at once" is one after the other, the second replays the first.
        personas = request.getfixturevalue("personas")
        from tests.cases.conftest import Api, ok

        api = Api(personas.city_dispatcher)
        first = ok(api.create(body, key="same-call-0001"), 201)
        assert ok(api.create(body, key="same-call-0001"), 200)["number"] == first["number"]
        assert Case.objects.count() == IdempotencyKey.objects.count() == 1
        return

    def setup():
        center, _ = Center.objects.get_or_create(region=world.city, defaults={"name": "市中心"})
        user = User.objects.create(username="same-key", role=Role.DISPATCHER, center=center)
        return token_create(user=user), user.pk, center.pk

    token, user_id, center_id = _in_own_thread(setup)
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def post() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            r = client.post(
                "/api/v1/cases", json.dumps(body), content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="same-call-0002",
            )  # fmt: skip
            answers.append((r.status_code, r.json().get("number", "")))
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(code for code, _ in answers) == [200, 201]
        assert answers[0][1] == answers[1][1] != ""
        stored = _in_own_thread(
            lambda: (
                list(Case.objects.filter(created_by_id=user_id).values_list("number", flat=True)),
                IdempotencyKey.objects.filter(user_id=user_id).count(),
                CaseEvent.objects.filter(case__created_by_id=user_id).count(),
            )
        )
        assert stored == ([answers[0][1]], 1, 1)
    finally:

        def teardown():
            from gridgov.accounts.models import ApiToken
            from gridgov.core.models import AuditLog

            cases = Case.objects.filter(created_by_id=user_id)
            IdempotencyKey.objects.filter(user_id=user_id).delete()
            CaseEvent.objects.filter(case__in=cases).delete()
            cases.delete()
            CaseSequence.objects.all().delete()
            ApiToken.objects.filter(user_id=user_id).delete()
            AuditLog.objects.filter(actor_id=user_id).delete()
            User.objects.filter(pk=user_id).delete()
            Center.objects.filter(pk=center_id, users__isnull=True).delete()

        _in_own_thread(teardown)
