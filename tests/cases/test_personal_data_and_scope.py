"""Reporter data is encrypted at rest, masked in every answer, read in clear only by an audited
call; every list and read is scoped to the caller."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.cases.models import Case
from gridgov.core.models import AuditAction, AuditLog
from tests.cases.conftest import Api, case_body, case_of, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def number(world, personas, monday):
    return ok(Api(personas.city_dispatcher).create(case_body(world)), 201)["number"]


def test_the_reporter_is_stored_encrypted(number):
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reporter_name, reporter_phone FROM {table} WHERE number = %s", [number])  # noqa: S608
        name, phone = cursor.fetchone()
    assert "张三" not in name and "13812345678" not in phone
    assert name.startswith("gg1:") and phone.startswith("gg1:")
    assert case_of(number).reporter_phone == "13812345678"


def test_every_answer_masks_the_reporter(personas, number):
    api = Api(personas.city_dispatcher)
    detail = ok(api.get(number))
    assert detail["reporter"] == {"name": "张*", "phone": "138****5678", "anonymous": False, "masked": True}
    listed = ok(api.list())["items"][0]
    assert listed["reporter"]["phone"] == "138****5678"
    assert "13812345678" not in api.get(number).content.decode()
    assert AuditLog.objects.filter(action=AuditAction.UNMASK).count() == 0


def test_an_unmasked_read_needs_a_reason_and_leaves_an_audit_row(personas, number):
    api = Api(personas.city_dispatcher)
    assert api.get(number, unmask=1).status_code == 422
    body = ok(api.get(number, unmask=1, reason="回访核实"))
    assert body["reporter"] == {"name": "张三", "phone": "13812345678", "anonymous": False, "masked": False}
    row = AuditLog.objects.get(action=AuditAction.UNMASK)
    assert (row.actor, row.object_id, row.detail["reason"]) == (personas.city_dispatcher, number, "回访核实")
    ok(api.client.get(f"/api/v1/cases/{number}/reporter", {"reason": "电话联系"}))
    assert AuditLog.objects.filter(action=AuditAction.UNMASK).count() == 2


def test_a_grid_worker_may_not_unmask(world, personas, monday):
    number = ok(Api(personas.grid_worker).create(case_body(world, channel="grid_worker")), 201)["number"]
    response = Api(personas.grid_worker).get(number, unmask=1, reason="想看看")
    assert response.status_code == 403
    assert AuditLog.objects.filter(action=AuditAction.UNMASK).count() == 0


def test_the_phone_is_found_by_its_exact_value_in_any_spelling(personas, number):
    api = Api(personas.city_dispatcher)
    for spelling in ("13812345678", "138-1234-5678", "+86 138 1234 5678"):
        assert [c["number"] for c in ok(api.list(phone=spelling))["items"]] == [number]
    assert ok(api.list(phone="13812345679"))["count"] == 0
    assert ok(api.list(phone="1381234"))["count"] == 0  # exact only, never a prefix


def test_an_anonymous_report_carries_no_identity(world, personas, monday):
    body = case_body(world, reporter={"anonymous": True})
    created = ok(Api(personas.city_dispatcher).create(body), 201)
    assert created["reporter"] == {"name": "", "phone": "", "anonymous": True, "masked": True}


def test_each_reader_sees_only_its_own_cases(world, personas, housing_bureau, monday):
    desk = Api(personas.city_dispatcher)
    mine = ok(desk.create(case_body(world)), 201)["number"]
    from tests.cases.conftest import inside

    lon, lat = inside(world.other_grid)
    other = ok(desk.create(case_body(world, location={"lon": lon, "lat": lat})), 201)["number"]

    def seen(user) -> set[str]:
        return {c["number"] for c in ok(Api(user).list())["items"]}

    assert seen(personas.city_dispatcher) == {mine, other}
    assert seen(personas.county_leader) == {mine, other}
    assert seen(personas.township_dispatcher) >= {mine}
    assert seen(personas.grid_worker) == {mine}  # not the neighbouring grid
    assert seen(personas.other_county_leader) == set()
    assert seen(personas.outsider) == set()
    assert seen(personas.housing_handler) == set()  # not before it is the bureau's
    assert Api(personas.other_county_leader).get(mine).status_code == 404
    for action in ("accept", "verify", "register"):
        ok(desk.act(mine, action))
    ok(desk.act(mine, "dispatch", department=housing_bureau.code))
    assert seen(personas.housing_handler) == {mine}
    assert seen(personas.other_handler) == set()


def test_list_filters_narrow_the_list(world, personas, monday):
    desk = Api(personas.city_dispatcher)
    a = ok(desk.create(case_body(world, urgency="urgent")), 201)["number"]
    b = ok(desk.create(case_body(world, category="2001", channel="sensor", title="占道经营")), 201)["number"]
    ok(desk.act(a, "accept"))

    def numbers(**params) -> set[str]:
        return {c["number"] for c in ok(desk.list(**params))["items"]}

    assert numbers(status="accepted") == {a}
    assert numbers(status="accepted,received") == {a, b}
    assert numbers(channel="sensor") == {b}
    assert numbers(category="20") == {b}
    assert numbers(category="0101") == {a}
    assert numbers(text="占道") == {b}
    assert numbers(region=world.community.code) == {a, b}
    assert numbers(region=world.other_county.code) == set()
    assert numbers(owner=world.city.code) == {a, b}
    assert numbers(colour="green") == {a, b}
    assert numbers(overdue="false") == {a, b}
    assert numbers(created_from="2026-03-02", created_to="2026-03-02") == {a, b}
    assert numbers(created_from="2026-03-03") == set()
    page = ok(desk.list(limit=1, offset=1))
    assert page["count"] == 2 and len(page["items"]) == 1


def test_the_list_exports_to_xlsx_masked(world, personas, monday):
    import io

    from openpyxl import load_workbook

    desk = Api(personas.city_dispatcher)
    number = ok(desk.create(case_body(world)), 201)["number"]
    response = desk.client.get("/api/v1/cases/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == number and rows[1][8] == "138****5678"
