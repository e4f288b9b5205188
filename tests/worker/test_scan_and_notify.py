"""The deadline scan, auto-escalation, and notifications fanned out from the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from gridgov.cases.enums import CaseAction
from gridgov.cases.fanout import fan_out
from gridgov.cases.models import CaseEvent, DeadlinePolicy, Notice
from gridgov.cases.tasks import deadline_scan, notify_fanout
from gridgov.core import clock
from gridgov.notify.models import Delivery, Notification, OutboxCursor
from gridgov.notify.services import outbox_process
from tests.cases.conftest import Api, case_body, case_of, ok


@pytest.fixture
def desk(personas):
    return Api(personas.city_dispatcher)


@pytest.fixture
def dispatched(world, personas, housing_bureau, desk, monday):
    number = ok(desk.create(case_body(world)), 201)["number"]
    for act, extra in [
        ("accept", {}),
        ("verify", {}),
        ("register", {}),
        ("dispatch", {"department": housing_bureau.code}),
    ]:
        ok(desk.act(number, act, **extra))
    ok(Api(personas.housing_handler).act(number, "contact"))
    return number


def kinds(number: str) -> list[str]:
    return list(Notice.objects.filter(case__number=number).values_list("kind", flat=True))


def test_the_scan_raises_a_warning_at_yellow_and_a_supervision_sheet_at_red(dispatched, monday):
    assert deadline_scan.call() == {"due": 0, "changed": 0, "escalated": 0}  # nothing due yet
    monday.shift(timedelta(days=2, hours=3))  # Wednesday 12:00: past 80 % of three working days
    assert deadline_scan.call()["changed"] == 1
    assert case_of(dispatched).colour == "yellow"
    assert kinds(dispatched) == ["assignment", "warning"]
    assert deadline_scan.call()["changed"] == 0  # a second run finds nothing to do
    monday.shift(timedelta(days=1))  # Thursday 12:00: overdue
    assert deadline_scan.call() == {"due": 1, "changed": 1, "escalated": 0}
    assert case_of(dispatched).colour == "red"
    assert kinds(dispatched) == ["assignment", "warning", "supervision"]
    assert case_of(dispatched).owner_center.region.level == "city"  # no flag: it stays


@pytest.fixture
def township_case(world, personas, monday):
    township = Api(personas.township_dispatcher)
    number = ok(township.create(case_body(world)), 201)["number"]
    ok(township.act(number, "accept"))
    return number


def test_an_overdue_case_climbs_to_the_centre_above_when_its_policy_says_so(world, township_case, monday):
    case = case_of(township_case)
    assert case.level == "township"
    DeadlinePolicy.objects.create(escalate_when_overdue=True)  # 131 durations, escalating
    monday.shift(timedelta(hours=1, minutes=30))  # the 1-working-hour contact clock ran out
    assert deadline_scan.call() == {"due": 1, "changed": 1, "escalated": 1}
    case = case_of(township_case)
    assert case.level == "county" and case.owner_center.region == world.county
    event = CaseEvent.objects.filter(case=case, action=CaseAction.ESCALATE).get()
    assert event.actor is None and event.data["auto"] is True
    assert deadline_scan.call()["escalated"] == 0  # once, not every period


def test_a_more_specific_policy_without_the_flag_keeps_the_case_where_it_is(world, township_case, monday):
    case = case_of(township_case)
    DeadlinePolicy.objects.create(escalate_when_overdue=True)
    DeadlinePolicy.objects.create(category=case.category, escalate_when_overdue=False)
    monday.shift(timedelta(hours=1, minutes=30))
    assert deadline_scan.call()["escalated"] == 0
    assert case_of(township_case).level == "township"


def test_each_sheet_reaches_its_unit_in_app_once_even_when_the_job_runs_twice(
    personas, dispatched, monday, django_capture_on_commit_callbacks, caplog
):
    monday.shift(timedelta(days=2, hours=3))
    deadline_scan.call()
    with (
        caplog.at_level(logging.INFO, logger="gridgov.notify.log"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify_fanout.call()
        notify_fanout.call()
        OutboxCursor.objects.update(last_id=0, gaps=[])  # even re-reading everything
        fan_out(now=clock.now())
    mine = Notification.objects.filter(user=personas.housing_handler).order_by("id")
    assert [n.kind for n in mine] == ["assignment", "warning"]
    assert all(n.case_number == dispatched for n in mine)
    assert not Notification.objects.filter(user=personas.city_dispatcher).exists()
    # The log backend wrote one line per message, not one per run.
    lines = [r.getMessage() for r in caplog.records if r.name == "gridgov.notify.log"]
    assert len(lines) == 2 and all("user=hh" in line for line in lines)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_an_escalation_tells_the_desk_of_the_centre_above(personas, world, township_case, monday):
    from gridgov.accounts.models import Center
    from tests.conftest import make_user

    county_dispatcher = make_user("cty", "dispatcher", center=Center.objects.get(region=world.county))
    DeadlinePolicy.objects.create(escalate_when_overdue=True)
    monday.shift(timedelta(hours=1, minutes=30))
    deadline_scan.call()
    fan_out(now=clock.now())
    got = Notification.objects.filter(user=county_dispatcher).values_list("kind", flat=True)
    assert list(got) == ["escalated"]
    assert Notification.objects.filter(user=personas.township_dispatcher, kind="supervision").exists()


def test_a_row_that_commits_after_a_higher_id_is_still_handed_out(dispatched, monday):
    ids = list(CaseEvent.objects.order_by("id").values_list("id", flat=True))
    late = ids[2]
    seen: list[int] = []
    # First pass: the row `late` is not committed yet, so the reader cannot see it.
    outbox_process(name="t", queryset=CaseEvent.objects.exclude(pk=late), handle=lambda e: seen.append(e.pk))
    assert late not in seen and OutboxCursor.objects.get(name="t").last_id == ids[-1]
    outbox_process(name="t", queryset=CaseEvent.objects.all(), handle=lambda e: seen.append(e.pk))
    assert sorted(seen) == ids  # each once, the late one included
    # A gap that never fills (a rolled-back insert) is given up after the window.
    outbox_process(
        name="u", queryset=CaseEvent.objects.exclude(pk=late), handle=lambda e: None, wall=lambda: 0
    )
    assert OutboxCursor.objects.get(name="u").gaps == [[late, 0]]
    outbox_process(
        name="u", queryset=CaseEvent.objects.exclude(pk=late), handle=lambda e: None, wall=lambda: 1e6
    )
    assert OutboxCursor.objects.get(name="u").gaps == []


def test_a_user_lists_its_own_notifications_and_marks_them_read(personas, dispatched, monday):
    fan_out(now=clock.now())
    handler = Api(personas.housing_handler)
    body = ok(handler.client.get("/api/v1/notify/notifications"))
    assert body["unread"] == 1 and body["items"][0]["case_number"] == dispatched
    assert ok(Api(personas.city_dispatcher).client.get("/api/v1/notify/notifications"))["count"] == 0
    nid = body["items"][0]["id"]
    other = Api(personas.other_handler).client.post(
        "/api/v1/notify/notifications/read", {"ids": [nid]}, content_type="application/json"
    )
    assert other.status_code == 404  # not its notification
    marked = handler.client.post(
        "/api/v1/notify/notifications/read", {"ids": [nid]}, content_type="application/json"
    )
    assert ok(marked) == {"marked": 1}
    assert ok(handler.client.get("/api/v1/notify/notifications", {"unread": "true"}))["count"] == 0
