"""The closed loop through the API: who may do what, in which state, and what each act leaves."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from gridgov.accounts.models import Department
from gridgov.cases.enums import CaseStatus, NoticeKind, PartStatus
from gridgov.cases.models import CaseEvent, Notice
from tests.cases.conftest import Api, case_body, case_of, ok
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _to(api: Api, number: str, *actions: str, **fields) -> None:
    for action in actions:
        ok(api.act(number, action, **fields.get(action, {})))


@pytest.fixture
def desk(personas):
    return Api(personas.city_dispatcher)


@pytest.fixture
def dispatched(world, personas, housing_bureau, desk, monday):
    """A hotline case the city centre dispatched to the housing bureau."""
    number = ok(desk.create(case_body(world)), 201)["number"]
    _to(
        desk, number, "accept", "verify", "register", "dispatch", dispatch={"department": housing_bureau.code}
    )
    return number


def test_a_case_travels_the_whole_loop_and_leaves_one_event_per_act(world, personas, desk, dispatched):
    handler, worker = Api(personas.housing_handler), Api(personas.grid_worker)
    ok(handler.act(dispatched, "contact", note="已电话联系"))
    ok(handler.act(dispatched, "handle"))
    ok(handler.act(dispatched, "report_back", note="墙体已修补"))
    ok(worker.act(dispatched, "check", passed=True))
    ok(desk.act(dispatched, "close"))
    body = ok(desk.act(dispatched, "follow_up", rating="satisfied"))
    assert body["status"] == CaseStatus.ARCHIVED
    assert body["colour"] == ""
    actions = [e["action"] for e in body["events"]]
    assert actions == [
        "create",
        "accept",
        "verify",
        "register",
        "dispatch",
        "contact",
        "handle",
        "report_back",
        "check",
        "close",
        "follow_up",
    ]
    assert body["version"] == len(actions)
    statuses = [(e["from"], e["to"]) for e in body["events"]]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(statuses))
    # The dispatch sent an assignment sheet to the bureau.
    assert Notice.objects.filter(case__number=dispatched, kind=NoticeKind.ASSIGNMENT).count() == 1


def test_an_act_the_status_does_not_allow_is_a_409_naming_what_is_allowed(world, personas, desk, monday):
    number = ok(desk.create(case_body(world)), 201)["number"]
    response = desk.act(number, "close")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "action_not_allowed_in_state"
    assert "accept" in body["details"]["allowed"]
    assert "不能结案" in body["message_zh"]
    assert CaseEvent.objects.filter(case__number=number).count() == 1


def test_an_act_by_the_wrong_person_is_a_403_with_the_reason(world, personas, desk, dispatched):
    # The bureau that does not own the case cannot even see it: 404, not a hint that it exists.
    assert Api(personas.other_handler).act(dispatched, "handle").status_code == 404
    # The city dispatcher sees it but handling is the department's: 403.
    response = desk.act(dispatched, "handle")
    assert response.status_code == 403
    assert response.json()["code"] == "action_forbidden"
    assert case_of(dispatched).status == CaseStatus.DISPATCHED


def test_a_grid_worker_of_another_grid_may_not_check(world, personas, desk, dispatched):
    handler = Api(personas.housing_handler)
    _to(handler, dispatched, "handle", "report_back", report_back={"note": "done"})
    # The grid head of the community may check; the county leader may not.
    assert Api(personas.county_leader).act(dispatched, "check", passed=True).status_code == 403
    ok(Api(personas.grid_head).act(dispatched, "check", passed=True))


def test_a_failed_check_reopens_the_case_with_a_redo(world, personas, desk, dispatched):
    handler = Api(personas.housing_handler)
    _to(handler, dispatched, "handle", "report_back", report_back={"note": "done"})
    assert (
        Api(personas.grid_worker).act(dispatched, "check", passed=False).status_code == 422
    )  # reason needed
    body = ok(Api(personas.grid_worker).act(dispatched, "check", passed=False, reason="裂缝仍在"))
    assert body["status"] == CaseStatus.HANDLING
    assert body["redo_count"] == 1


def test_an_unsatisfied_reporter_reopens_the_case_and_the_redo_counter_counts(
    world, personas, desk, dispatched
):
    handler, worker = Api(personas.housing_handler), Api(personas.grid_worker)
    _to(handler, dispatched, "handle", "report_back", report_back={"note": "done"})
    ok(worker.act(dispatched, "check", passed=True))
    ok(desk.act(dispatched, "close"))
    body = ok(desk.act(dispatched, "follow_up", rating="unsatisfied"))
    assert (body["status"], body["redo_count"], body["rating"]) == (CaseStatus.HANDLING, 1, "unsatisfied")
    assert body["colour"] == "green"  # the finish clock starts again
    ok(handler.act(dispatched, "report_back", note="again"))
    ok(worker.act(dispatched, "check", passed=True))
    ok(desk.act(dispatched, "close"))
    assert (
        ok(desk.act(dispatched, "follow_up", rating="basically_satisfied"))["status"] == CaseStatus.ARCHIVED
    )


def test_a_reject_needs_a_reason_and_ends_the_case(world, personas, desk, monday):
    number = ok(desk.create(case_body(world)), 201)["number"]
    assert desk.act(number, "reject").status_code == 422
    body = ok(desk.act(number, "reject", reason="不属于受理范围"))
    assert body["status"] == CaseStatus.REJECTED
    assert desk.act(number, "accept").status_code == 409


def test_a_returned_case_goes_back_to_the_centre_and_leaves_the_bureaus_sight(
    world, personas, desk, dispatched
):
    handler = Api(personas.housing_handler)
    assert handler.act(dispatched, "return").status_code == 422
    body = ok(handler.act(dispatched, "return", reason="不属于本部门职责"))
    assert body == {
        "number": dispatched,
        "status": "registered",
        "version": body["version"],
        "visible": False,
    }
    assert handler.get(dispatched).status_code == 404
    case = case_of(dispatched)
    assert case.owner_department is None and case.status == CaseStatus.REGISTERED


def test_escalation_climbs_community_township_county_city_and_stops_there(world, personas, monday):
    api = Api(personas.grid_worker)
    number = ok(api.create(case_body(world, channel="grid_worker")), 201)["number"]
    from gridgov.accounts.models import Center
    from tests.conftest import make_user

    community_desk = make_user("comm-desk", "dispatcher", center=Center.objects.get(region=world.community))
    township_desk = Api(personas.township_dispatcher)
    county_desk = Api(make_user("county-desk", "dispatcher", center=Center.objects.get(region=world.county)))
    ok(Api(community_desk).act(number, "escalate", reason="社区无力解决"))
    assert case_of(number).level == "township"
    ok(township_desk.act(number, "escalate", reason="需区级协调"))
    assert case_of(number).level == "county"
    ok(county_desk.act(number, "escalate", reason="跨区"))
    case = case_of(number)
    assert (case.level, case.owner_center.region) == ("city", world.city)
    response = Api(personas.city_dispatcher).act(number, "escalate", reason="再上报")
    assert response.status_code == 409 and response.json()["code"] == "action_not_allowed_at_level"
    # The township that handed it up may no longer act on it.
    assert township_desk.act(number, "accept").status_code == 403
    # And the city may send it back down to the county.
    ok(Api(personas.city_dispatcher).act(number, "send_down", region_code=world.county.code))
    assert case_of(number).level == "county"


def test_assisting_departments_each_report_and_the_case_closes_only_when_all_are_done(
    world, personas, desk, dispatched
):
    other = Department.objects.get(code=f"{world.county.code}-CGJ")
    handler, assistant, worker = (
        Api(personas.housing_handler),
        Api(personas.other_handler),
        Api(personas.grid_worker),
    )
    ok(handler.act(dispatched, "handle"))
    ok(desk.act(dispatched, "assist", departments=[other.code], note="请城管局清理建筑垃圾"))
    # The assisting bureau now sees the case and has an assignment sheet.
    assert ok(assistant.get(dispatched))["parts"][1]["department"]["code"] == other.code
    # And finds it in its list, beside the lead department, which owns it; a third department
    # and another county's leader do not.
    water = Department.objects.create(region=world.county, code=f"{world.county.code}-SWJ", name="水务局")
    for api, listed in (
        (assistant, True),
        (handler, True),
        (Api(make_user("water", "handler", department=water)), False),
        (Api(personas.other_county_leader), False),
    ):
        assert (dispatched in {c["number"] for c in ok(api.list())["items"]}) is listed
    assert Notice.objects.filter(case__number=dispatched, to_department=other, kind="assignment").exists()
    ok(handler.act(dispatched, "report_back", note="主办完成"))
    ok(worker.act(dispatched, "check", passed=True))
    response = desk.act(dispatched, "close")
    assert response.status_code == 409
    assert response.json()["code"] == "parts_open"
    assert response.json()["details"]["departments"] == [other.code]
    ok(assistant.act(dispatched, "part_report", note="垃圾已清运"))
    assert assistant.act(dispatched, "part_report", note="again").status_code == 403  # its part is done
    body = ok(desk.act(dispatched, "close"))
    assert body["status"] == CaseStatus.CLOSED
    assert {p["status"] for p in body["parts"]} == {PartStatus.DONE}


def test_duplicates_merge_under_a_parent_and_close_with_it(world, personas, housing_bureau, desk, monday):
    parent = ok(desk.create(case_body(world)), 201)["number"]
    child = ok(
        desk.create(
            case_body(world, title="同一处墙体开裂", reporter={"name": "李四", "phone": "13900000000"})
        ),
        201,
    )["number"]
    assert desk.act(child, "merge", parent=child).status_code == 422
    body = ok(desk.act(child, "merge", parent=parent))
    assert (body["status"], body["parent"]) == (CaseStatus.MERGED, parent)
    assert desk.act(child, "accept").status_code == 409
    _to(
        desk, parent, "accept", "verify", "register", "dispatch", dispatch={"department": housing_bureau.code}
    )
    handler = Api(personas.housing_handler)
    _to(handler, parent, "handle", "report_back", report_back={"note": "已修复"})
    ok(Api(personas.grid_worker).act(parent, "check", passed=True))
    ok(desk.act(parent, "close"))
    merged = ok(desk.get(child))
    assert merged["events"][-1]["action"] == "parent_closed"
    assert merged["result"] == "已修复"
    from gridgov.cases.selectors import case_reporters_to_tell

    assert {c.number for c in case_reporters_to_tell(case_of(parent))} == {parent, child}


def test_an_approved_extension_moves_the_deadline_and_a_refused_one_does_not(
    world, personas, desk, dispatched, monday
):
    handler, leader = Api(personas.housing_handler), Api(personas.county_leader)
    due = case_of(dispatched).finish_due_at
    ok(handler.act(dispatched, "request_extension", amount=2, unit="workdays", reason="需采购材料"))
    assert (
        handler.act(dispatched, "request_extension", amount=1, unit="workdays", reason="x").status_code == 409
    )
    # The county leader is not above the city centre that owns the case.
    assert leader.act(dispatched, "approve_extension").status_code == 403
    ok(desk.act(dispatched, "approve_extension"))
    assert case_of(dispatched).finish_due_at == due + timedelta(days=4)  # Thu 09:00 + 2wd → Mon 09:00
    ok(handler.act(dispatched, "request_extension", amount=1, unit="workdays", reason="再延"))
    ok(desk.act(dispatched, "refuse_extension"))
    assert case_of(dispatched).finish_due_at == due + timedelta(days=4)
    assert desk.act(dispatched, "approve_extension").status_code == 409


def test_suspension_stops_the_clock_and_resume_restarts_it(world, personas, desk, dispatched, monday):
    due = case_of(dispatched).finish_due_at  # Thursday 09:00
    assert desk.act(dispatched, "suspend").status_code == 422
    ok(desk.act(dispatched, "suspend", reason="等待司法鉴定"))
    monday.shift(timedelta(days=1))  # suspended Monday 09:00 → Tuesday 09:00: one working day
    body = ok(desk.act(dispatched, "resume"))
    assert body["status"] == CaseStatus.DISPATCHED
    assert case_of(dispatched).finish_due_at == due + timedelta(days=1)


def test_the_colour_turns_yellow_then_red_and_each_brings_its_sheet(
    world, personas, desk, dispatched, monday
):
    from gridgov.cases.selectors import cases_due
    from gridgov.cases.services import case_clock_tick
    from gridgov.core import clock

    ok(Api(personas.housing_handler).act(dispatched, "contact"))
    monday.shift(timedelta(days=2, hours=3))  # Wednesday 12:00: past 80% of three working days
    assert dispatched in {c.number for c in cases_due(clock.now())}
    assert case_clock_tick(number=dispatched, now=clock.now()).colour == "yellow"
    monday.shift(timedelta(days=1))  # Thursday 12:00: overdue
    assert case_clock_tick(number=dispatched, now=clock.now()).colour == "red"
    kinds = list(Notice.objects.filter(case__number=dispatched).values_list("kind", flat=True))
    assert kinds == ["assignment", "warning", "supervision"]
    assert ok(desk.list(overdue="true"))["count"] == 1
    assert case_clock_tick(number=dispatched, now=clock.now()) is None  # nothing changes twice


def test_a_leader_supervises_and_the_owner_answers_the_sheet(world, personas, dispatched):
    handler, boss = Api(personas.housing_handler), Api(personas.city_dispatcher)
    from gridgov.accounts.models import Center
    from tests.conftest import make_user

    leader = Api(make_user("city-leader", "leader", center=Center.objects.get(region=world.city)))
    assert boss.act(dispatched, "supervise", note="限期办结").status_code == 403  # leaders only
    ok(leader.act(dispatched, "supervise", note="限期办结"))
    notice = Notice.objects.get(case__number=dispatched, kind="supervision")
    listed = handler.client.get("/api/v1/cases/notices").json()
    assert notice.pk in {n["id"] for n in listed}
    assert ok(handler.list(open_notice="true"))["count"] == 1
    ok(handler.act(dispatched, "respond", notice_id=notice.pk, note="已安排施工队"))
    assert handler.act(dispatched, "respond", notice_id=notice.pk, note="again").status_code == 409
    notice.refresh_from_db()
    assert notice.responded_at is not None


def test_two_acts_on_a_stale_version_lose(world, personas, desk, monday):
    number = ok(desk.create(case_body(world)), 201)["number"]
    ok(desk.act(number, "accept", expected_version=1))
    response = desk.act(number, "contact", expected_version=1)
    assert response.status_code == 409 and response.json()["code"] == "stale_version"


def test_an_escalated_case_takes_the_deadline_policy_of_its_new_level_and_the_event_says_so(
    world, personas, monday
):
    from datetime import datetime

    from gridgov.accounts.models import Center
    from gridgov.cases.models import DeadlinePolicy
    from gridgov.sla.enums import DurationUnit
    from tests.cases.conftest import SHANGHAI
    from tests.conftest import make_user

    DeadlinePolicy.objects.create(level="county", finish_amount=10, finish_unit=DurationUnit.WORKDAYS)
    DeadlinePolicy.objects.create(level="city", finish_amount=15, finish_unit=DurationUnit.WORKDAYS)
    number = ok(Api(personas.grid_worker).create(case_body(world, channel="grid_worker")), 201)["number"]
    case = case_of(number)
    # Registered Monday 2 March 09:00 at the community: the 131 rule, 3 working days.
    assert (case.level, case.policy_finish) == ("community", "3wd")
    assert case.finish_due_at == datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    community_desk = make_user("comm-desk", "dispatcher", center=Center.objects.get(region=world.community))
    county_desk = make_user("county-desk", "dispatcher", center=Center.objects.get(region=world.county))
    ok(Api(community_desk).act(number, "escalate", reason="社区无力解决"))
    assert case_of(number).policy_finish == "3wd"  # no township policy: still the 131 rule
    ok(Api(personas.township_dispatcher).act(number, "escalate", reason="需区级协调"))
    case = case_of(number)
    assert (case.level, case.policy_finish) == ("county", "10wd")
    assert case.finish_due_at == datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI)
    event = CaseEvent.objects.filter(case=case, action="escalate").latest("id")
    assert event.data["policy"] == {
        "old": {"contact": "1wh", "finish": "3wd", "feedback": "1wd"},
        "new": {"contact": "1wh", "finish": "10wd", "feedback": "1wd"},
    }
    assert event.data["deadlines"]["old"]["finish"] == "2026-03-05T09:00:00+08:00"
    assert event.data["deadlines"]["new"]["finish"] == "2026-03-16T09:00:00+08:00"
    assert event.data["deadlines"]["new"]["contact"] == event.data["deadlines"]["old"]["contact"]
    # Sent back down, it takes the lower level's policy again.
    ok(Api(county_desk).act(number, "send_down", region_code=world.township.code))
    case = case_of(number)
    assert (case.level, case.policy_finish) == ("township", "3wd")
    assert case.finish_due_at == datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    event = CaseEvent.objects.filter(case=case, action="send_down").latest("id")
    assert event.data["deadlines"] == {
        "old": {
            "contact": "2026-03-02T10:00:00+08:00",
            "finish": "2026-03-16T09:00:00+08:00",
            "feedback": None,
        },
        "new": {
            "contact": "2026-03-02T10:00:00+08:00",
            "finish": "2026-03-05T09:00:00+08:00",
            "feedback": None,
        },
    }
