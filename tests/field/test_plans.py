"""Patrol plans (巡查计划): who may plan which grid, no two plans of a grid at once, bad input
writes nothing, a patrol started in (or just before) the window fulfils the earliest open plan,
the day's default plans from the joint-patrol rule are made once, and the API's shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff
from gridgov.core import clock
from gridgov.field.models import PatrolPlan
from gridgov.field.services import patrol_plans_ensure_for_day
from gridgov.field.tasks import patrol_plans_today
from tests.conftest import _center, make_user
from tests.field.conftest import Api, iso, ok
from tests.registry.conftest import MONDAY

pytestmark = pytest.mark.django_db

NINE = MONDAY  # 09:00 Asia/Shanghai


@pytest.fixture
def monday():
    with time_machine.travel(NINE, tick=False) as traveller:
        yield traveller


def plan_body(world, worker, *, start_h: float = 1, hours: float = 2, **extra) -> dict:
    start = NINE + timedelta(hours=start_h)
    return {
        "grid": world.grid.code,
        "worker_id": worker.pk,
        "window_start": iso(start),
        "window_end": iso(start + timedelta(hours=hours)),
        **extra,
    }


def test_a_grid_head_plans_a_joint_patrol_the_worker_sees_it_among_its_tasks_and_the_neighbour_does_not(
    world, personas, police, other_worker, monday
):
    plan = ok(
        Api(personas.grid_head).post("/plans", plan_body(world, personas.grid_worker, police_id=police.pk)),
        201,
    )
    assert plan["grid"] == world.grid.code
    assert plan["joint"] is True and plan["police_id"] == police.pk
    assert plan["state"] == "pending" and plan["state_label"] == "未开始"
    assert plan["window_start"].startswith("2026-03-02T10:00")
    tasks = ok(Api(personas.grid_worker).get("/tasks"))
    assert [p["id"] for p in tasks["plans"]] == [plan["id"]]
    assert ok(Api(other_worker).get("/tasks"))["plans"] == []
    listed = ok(Api(personas.grid_head).get("/plans", day="2026-03-02"))
    assert listed["day"] == "2026-03-02" and [p["id"] for p in listed["items"]] == [plan["id"]]
    assert (listed["total"], listed["page"]) == (1, 1)
    assert ok(Api(personas.grid_head).get("/plans", day="2026-03-03"))["items"] == []
    other_grid = ok(Api(personas.grid_head).get("/plans", day="2026-03-02", grid=world.other_grid.code))
    assert other_grid["total"] == 0
    assert ok(Api(personas.grid_head).get("/plans", day="2026-03-02", page=2))["items"] == []
    assert Api(personas.grid_head).get("/plans", page=0).status_code == 422
    assert ok(Api(personas.other_county_leader).get("/plans", day="2026-03-02"))["items"] == []


def test_a_township_dispatcher_may_plan_a_grid_of_its_township(world, personas, monday):
    ok(Api(personas.township_dispatcher).post("/plans", plan_body(world, personas.grid_worker)), 201)
    assert PatrolPlan.objects.get().created_by == personas.township_dispatcher


def test_a_grid_head_cannot_plan_a_worker_of_another_community_and_writes_nothing(world, personas, monday):
    far = make_user("gwfar", Role.GRID_WORKER, center=_center(world.far_grid.community))
    GridStaff.objects.create(grid=world.far_grid, user=far, duty=GridDuty.WORKER)
    head = Api(personas.grid_head)
    r = head.post("/plans", {**plan_body(world, far), "grid": world.far_grid.code})
    assert r.status_code == 422 and r.json()["code"] == "bad_grid"
    # Nor that worker on a grid of this community: it does not serve it.
    r = head.post("/plans", plan_body(world, far))
    assert r.status_code == 422 and r.json()["code"] == "bad_worker"
    assert " / " in r.json()["message"]
    assert not PatrolPlan.objects.exists()


def test_a_grid_worker_cannot_plan_patrols(world, personas, monday):
    r = Api(personas.grid_worker).post("/plans", plan_body(world, personas.grid_worker))
    assert r.status_code == 403
    assert not PatrolPlan.objects.exists()


def test_two_plans_of_one_grid_may_not_overlap_but_may_follow_each_other(world, personas, monday):
    head = Api(personas.grid_head)
    ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=1, hours=2)), 201)
    r = head.post("/plans", plan_body(world, personas.grid_worker, start_h=2, hours=2))
    assert r.status_code == 409 and r.json()["code"] == "plan_overlap"
    ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=3, hours=1)), 201)
    assert PatrolPlan.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"window_end": iso(NINE)}, "bad_time"),  # ends before it starts
        (
            {"window_start": iso(NINE - timedelta(hours=3)), "window_end": iso(NINE - timedelta(hours=1))},
            "bad_time",
        ),
        ({"window_end": iso(NINE + timedelta(hours=20))}, "bad_time"),  # longer than 12 hours
        ({"police_id": 999999}, "bad_police"),
        ({"worker_id": 999999}, "bad_worker"),
        ({"grid": "nosuchgrid"}, "bad_grid"),
    ],
)
def test_bad_plans_are_a_422_that_writes_nothing(world, personas, monday, change, code):
    r = Api(personas.grid_head).post("/plans", {**plan_body(world, personas.grid_worker), **change})
    assert r.status_code == 422, r.content
    assert r.json()["code"] == code
    assert not PatrolPlan.objects.exists()


def test_an_unknown_field_is_a_422(world, personas, monday):
    r = Api(personas.grid_head).post("/plans", {**plan_body(world, personas.grid_worker), "colour": "red"})
    assert r.status_code == 422
    assert not PatrolPlan.objects.exists()


def _start(worker, world, key: str, at, police=None):
    body = {"client_key": key, "grid": world.grid.code, "started_at": iso(at)}
    if police is not None:
        body["police_id"] = police.pk
    return ok(Api(worker).post("/patrols", body), 201)


def test_a_patrol_started_just_before_the_window_fulfils_the_earliest_open_plan(
    world, personas, police, monday
):
    head = Api(personas.grid_head)
    first = ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=0.25, hours=1)), 201)
    second = ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=1.25, hours=1)), 201)
    # 09:00 is 15 minutes before the first window: in time (up to 30 minutes early).
    patrol = _start(personas.grid_worker, world, "plan-patrol-0001", NINE, police)
    plans = {p["id"]: p for p in ok(Api(personas.grid_worker).get("/plans"))["items"]}
    assert plans[first["id"]]["state"] == "done"
    assert plans[first["id"]]["patrol"] == patrol["client_key"]
    assert plans[second["id"]]["state"] == "pending"
    # The same key resent links nothing new.
    ok(Api(personas.grid_worker).post("/patrols", {"client_key": "plan-patrol-0001", "grid": world.grid.code,
                                                   "started_at": iso(NINE)}))  # fmt: skip
    assert PatrolPlan.objects.filter(patrol__isnull=False).count() == 1


def test_a_patrol_far_from_any_window_fulfils_nothing_and_a_missed_plan_is_overdue(world, personas, monday):
    plan = ok(
        Api(personas.grid_head).post("/plans", plan_body(world, personas.grid_worker, start_h=2, hours=1)),
        201,
    )
    _start(personas.grid_worker, world, "early-patrol-01", NINE)  # 2 hours early
    assert PatrolPlan.objects.get(pk=plan["id"]).patrol_id is None
    monday.move_to(NINE + timedelta(hours=4))
    [row] = ok(Api(personas.grid_worker).get("/tasks"))["plans"]
    assert row["state"] == "overdue" and row["state_label"] == "已逾期"


def test_a_cancelled_plan_leaves_the_tasks_and_is_not_fulfilled(world, personas, monday):
    head = Api(personas.grid_head)
    plan = ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=0, hours=1)), 201)
    r = Api(personas.other_county_leader).post(f"/plans/{plan['id']}/cancel", {})
    assert r.status_code == 404
    r = Api(personas.grid_worker).post(f"/plans/{plan['id']}/cancel", {})
    assert r.status_code == 403
    cancelled = ok(head.post(f"/plans/{plan['id']}/cancel", {}))
    assert cancelled["state"] == "cancelled"
    assert ok(head.post(f"/plans/{plan['id']}/cancel", {}))["state"] == "cancelled"  # twice: the same
    assert ok(Api(personas.grid_worker).get("/tasks"))["plans"] == []
    _start(personas.grid_worker, world, "after-cancel-01", NINE)
    assert PatrolPlan.objects.get(pk=plan["id"]).patrol_id is None
    # The window is free again.
    ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=0, hours=1)), 201)


def test_a_fulfilled_plan_cannot_be_cancelled(world, personas, monday):
    head = Api(personas.grid_head)
    plan = ok(head.post("/plans", plan_body(world, personas.grid_worker, start_h=0, hours=1)), 201)
    _start(personas.grid_worker, world, "fulfil-patrol-1", NINE)
    r = head.post(f"/plans/{plan['id']}/cancel", {})
    assert r.status_code == 409 and r.json()["code"] == "plan_fulfilled"
    assert PatrolPlan.objects.get(pk=plan["id"]).cancelled_at is None


@override_settings(FIELD_PATROL_PLAN_WINDOWS=[("08:30", "10:00"), ("15:00", "16:00"), ("20:00", "21:00")])
def test_the_days_default_plans_follow_the_joint_patrol_rule_and_are_made_once(
    world, personas, police, monday
):
    day = NINE.date()
    made = patrol_plans_ensure_for_day(day=day, now=clock.now())
    assert made > 0
    mine = list(PatrolPlan.objects.filter(grid=world.grid).order_by("window_start"))
    assert [(p.window_start.astimezone(NINE.tzinfo).strftime("%H:%M"), p.joint) for p in mine] == [
        ("08:30", True),
        ("15:00", True),
    ]
    assert {p.worker_id for p in mine} == {personas.grid_worker.pk}
    assert {p.police_id for p in mine} == {police.pk}
    assert patrol_plans_ensure_for_day(day=day, now=clock.now()) == 0
    assert patrol_plans_today.call() == {"plans": 0}
    assert PatrolPlan.objects.filter(grid=world.grid).count() == 2
    # The 09:00 patrol fulfils the 08:30 window.
    _start(personas.grid_worker, world, "default-plan-01", NINE, police)
    states = [p["state"] for p in ok(Api(personas.grid_worker).get("/tasks"))["plans"]]
    assert states == ["done", "pending"]


def test_a_grid_that_already_has_a_plan_gets_no_default_plans(world, personas, monday):
    ok(Api(personas.grid_head).post("/plans", plan_body(world, personas.grid_worker)), 201)
    patrol_plans_today.call()
    assert PatrolPlan.objects.filter(grid=world.grid).count() == 1
