"""When a case closes, every reporter hears the result: its own and, for a parent of merged
duplicates, each child's. Through the worker's fan-out job, once per phone number however often
the job runs, with only the reporter's own tracking number(s) and the result."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from gridgov.cases.fanout import CITIZEN_TEXT_WITHIN, citizen_result_text
from gridgov.cases.models import CaseEvent
from gridgov.cases.tasks import notify_fanout
from gridgov.core.pii import mask_phone
from gridgov.notify.enums import DeliveryStatus
from gridgov.notify.models import CitizenMessage, OutboxCursor
from tests.cases.conftest import Api, case_body, case_of, ok

pytestmark = pytest.mark.django_db

RESULT = "已对三单元楼道墙体裂缝进行修补,经住建部门验收合格。"


@pytest.fixture
def desk(personas):
    return Api(personas.city_dispatcher)


def report(desk, world, phone: str | None, title: str) -> str:
    reporter = {"anonymous": True} if phone is None else {"name": "张三", "phone": phone}
    return ok(desk.create(case_body(world, title=title, reporter=reporter)), 201)["number"]


@pytest.fixture
def merged(world, personas, housing_bureau, desk, monday):
    """A parent (phone A) with three merged duplicates: phone B, phone A again, anonymous."""
    parent = report(desk, world, "13811112222", "楼道墙体开裂")
    children = [
        report(desk, world, "13933334444", "三单元墙裂了"),
        report(desk, world, "+86 138 1111 2222", "墙体裂缝又反映一次"),
        report(desk, world, None, "楼道墙裂(匿名)"),
    ]
    for child in children:
        ok(desk.act(child, "merge", parent=parent))
    for act, extra in [
        ("accept", {}), ("verify", {}), ("register", {}), ("dispatch", {"department": housing_bureau.code}),
    ]:  # fmt: skip
        ok(desk.act(parent, act, **extra))
    handler = Api(personas.housing_handler)
    ok(handler.act(parent, "handle"))
    ok(handler.act(parent, "report_back", note=RESULT))
    ok(desk.act(parent, "check", passed=True))
    return parent, children


def test_every_reporter_of_a_closed_parent_and_its_duplicates_hears_the_result_once(
    merged, desk, sms_http, monday, django_capture_on_commit_callbacks, caplog
):
    parent, (child_b, child_a_again, anonymous) = merged
    with django_capture_on_commit_callbacks(execute=True):
        notify_fanout.call()
    assert sms_http.received == []  # nothing closed yet
    ok(desk.act(parent, "close"))
    with (
        caplog.at_level(logging.INFO, logger="gridgov.notify.log"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify_fanout.call()
        notify_fanout.call()
        OutboxCursor.objects.update(last_id=0, gaps=[])  # the job re-reads everything
        notify_fanout.call()
    texts = {m["phone"]: m["text"] for m in sms_http.received}
    assert len(sms_http.received) == 2 and set(texts) == {"13811112222", "13933334444"}
    # Phone A reported the parent and one duplicate: one text naming both of its numbers.
    assert texts["13811112222"] == citizen_result_text(numbers=sorted([parent, child_a_again]), result=RESULT)
    assert parent in texts["13811112222"] and child_a_again in texts["13811112222"]
    # Phone B hears its own number and the result, nothing of the others.
    assert child_b in texts["13933334444"] and RESULT in texts["13933334444"]
    assert parent not in texts["13933334444"] and "13811112222" not in texts["13933334444"]
    assert "张" not in texts["13933334444"]
    close = CaseEvent.objects.get(case=case_of(parent), action="close")
    rows = CitizenMessage.objects.filter(key=f"closed:{close.pk}")
    assert rows.count() == 4  # two numbers × (log, sms_http)
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # The log backend wrote each text once, with the number masked.
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "gridgov.notify.log" and "text phone=" in r.getMessage()
    ]
    assert len(lines) == 2 and all("13811112222" not in line and "13933334444" not in line for line in lines)
    assert any(mask_phone("13811112222") in line for line in lines)
    # The anonymous child and the children themselves carry the parent's result.
    assert case_of(anonymous).result == RESULT


def test_a_plain_case_closing_texts_its_own_reporter_and_the_number_is_stored_encrypted(
    world, personas, housing_bureau, desk, sms_http, monday, django_capture_on_commit_callbacks, client
):
    from django.db import connection

    number = report(desk, world, "13700009999", "路灯不亮")
    for act, extra in [
        ("accept", {}), ("verify", {}), ("register", {}), ("dispatch", {"department": housing_bureau.code}),
    ]:  # fmt: skip
        ok(desk.act(number, act, **extra))
    handler = Api(personas.housing_handler)
    ok(handler.act(number, "handle"))
    ok(handler.act(number, "report_back", note="已更换灯泡"))
    ok(desk.act(number, "check", passed=True))
    ok(desk.act(number, "close"))
    with django_capture_on_commit_callbacks(execute=True):
        notify_fanout.call()
    assert [(m["phone"], number in m["text"]) for m in sms_http.received] == [("13700009999", True)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM notify_citizenmessage")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all("13700009999" not in value for value in stored)
    # The admin lists what went out with the number masked, on the list and the detail page.
    client.force_login(personas.admin)
    listing = client.get("/admin/notify/citizenmessage/").content.decode()
    assert "137****9999" in listing and "13700009999" not in listing
    row = CitizenMessage.objects.first()
    detail = client.get(f"/admin/notify/citizenmessage/{row.pk}/change/")
    assert detail.status_code == 200 and "13700009999" not in detail.content.decode()


def test_a_close_the_fan_out_sees_days_late_is_not_texted(
    merged, desk, sms_http, monday, django_capture_on_commit_callbacks
):
    parent, _ = merged
    ok(desk.act(parent, "close"))
    monday.shift(CITIZEN_TEXT_WITHIN + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        notify_fanout.call()
    assert sms_http.received == [] and not CitizenMessage.objects.exists()
