"""/api/v1/field: the grid worker's phone app. Thin: shapes here, rules in services, reads in
selectors. Every write takes the phone's `client_key`, so a resent outbox item is one row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from gridgov.core import clock
from gridgov.field import present, selectors, services
from gridgov.field.rules import joint_patrol_rule
from gridgov.registry.enums import HazardLevel

router = Router(tags=["field"])

# An optional upload: spelled `File(None)` as a default; `File[UploadedFile] | None` is not read
# as a file at all (the photo is silently dropped).
NO_PHOTO = File(None)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatrolIn(Strict):
    client_key: str = Field(..., min_length=8, max_length=64)
    grid: str = Field(..., min_length=1, max_length=20)
    started_at: dt.datetime
    police_id: int | None = None
    note: str = Field("", max_length=2000)


class PointSchema(Strict):
    at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class PointsIn(Strict):
    points: list[PointSchema] = Field(..., min_length=1, max_length=services.patrols.MAX_POINTS_PER_BATCH)


class StopIn(Strict):
    ended_at: dt.datetime


class HazardIn(Strict):
    client_key: str = Field(..., min_length=8, max_length=64)
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    level: HazardLevel = HazardLevel.GENERAL
    lon: float | None = None
    lat: float | None = None
    found_at: dt.datetime


class HouseholdVisitIn(Schema):
    client_key: str = Field(..., min_length=8, max_length=64)
    grid: str = Field(..., min_length=1, max_length=20)
    household: str = Field(..., max_length=120)
    notes: str = Field(..., max_length=5000)
    visited_at: dt.datetime
    lon: float | None = None
    lat: float | None = None


class DayQuery(Schema):
    day: dt.date | None = None


class PlanIn(Strict):
    grid: str = Field(..., min_length=1, max_length=20)
    worker_id: int
    window_start: dt.datetime
    window_end: dt.datetime
    joint: bool = False
    police_id: int | None = None


def _user(request: HttpRequest) -> Any:
    return request.user


def _day(q: DayQuery) -> dt.date:
    return q.day or timezone.localdate(clock.now())


@router.get("/me", response=dict)
def me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    rule = joint_patrol_rule()
    return {
        "username": user.username,
        "name": user.display_name or user.username,
        "role": user.role,
        "grids": [
            {"code": g.code, "name": g.name, "community": g.community.name, "boundary": g.boundary}
            for g in selectors.my_grids(user)[:50]
        ],
        "police": [
            {"id": p.pk, "name": p.display_name or p.username} for p in selectors.police_partners(user)
        ],
        "joint_patrol_rule": {"per_day": rule.per_day, "min_minutes": rule.min_minutes},
    }


@router.get("/tasks", response=dict)
def tasks(request: HttpRequest) -> dict[str, Any]:
    user, now = _user(request), clock.now()
    t = selectors.my_tasks(user, now=now)
    return {
        "verify": [present.case_task_out(c) for c in t.verify],
        "check": [present.case_task_out(c) for c in t.check],
        "visits_overdue": [present.key_person_task_out(p) for p in t.visits_overdue],
        "visits_due": [present.key_person_task_out(p) for p in t.visits_due],
        "patrols_open": [present.patrol_out(p) for p in t.patrols_open],
        "plans": [present.plan_out(p, now=now) for p in t.plans],
        "compliance": present.compliance_out(selectors.compliance_for(user, day=timezone.localdate(now))),
    }


@router.post("/patrols", response={200: dict, 201: dict})
def patrol_start(request: HttpRequest, payload: PatrolIn) -> Status[dict[str, Any]]:
    patrol, created = services.patrol_start(
        actor=_user(request),
        client_key=payload.client_key,
        grid_code=payload.grid,
        started_at=payload.started_at,
        police_id=payload.police_id,
        note=payload.note,
        now=clock.now(),
    )
    return Status(201 if created else 200, present.patrol_out(patrol))


@router.get("/patrols", response=dict)
def patrols(request: HttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    user, day = _user(request), _day(q)
    return {
        "day": day.isoformat(),
        "items": [present.patrol_out(p) for p in selectors.patrols_of(user, day=day)],
        "compliance": present.compliance_out(selectors.compliance_for(user, day=day)),
    }


@router.post("/patrols/{client_key}/points", response=dict)
def patrol_points(request: HttpRequest, client_key: str, payload: PointsIn) -> dict[str, Any]:
    patrol, added = services.patrol_points_add(
        actor=_user(request),
        client_key=client_key,
        points=[services.PointIn(p.at, p.lon, p.lat, p.accuracy_m) for p in payload.points],
        now=clock.now(),
    )
    return {**present.patrol_out(patrol), "added": added}


@router.post("/patrols/{client_key}/stop", response=dict)
def patrol_stop(request: HttpRequest, client_key: str, payload: StopIn) -> dict[str, Any]:
    patrol, stopped = services.patrol_stop(
        actor=_user(request), client_key=client_key, ended_at=payload.ended_at, now=clock.now()
    )
    return {**present.patrol_out(patrol), "stopped_now": stopped}


@router.post("/patrols/{client_key}/hazards", response={200: dict, 201: dict})
def patrol_hazard(request: HttpRequest, client_key: str, payload: HazardIn) -> Status[dict[str, Any]]:
    link, created = services.patrol_hazard_report(
        actor=_user(request),
        client_key=payload.client_key,
        patrol_key=client_key,
        title=payload.title,
        description=payload.description,
        level=payload.level,
        lon=payload.lon,
        lat=payload.lat,
        found_at=payload.found_at,
        now=clock.now(),
    )
    return Status(201 if created else 200, {"client_key": link.client_key, "hazard_id": link.hazard_id})


@router.post("/household-visits", response={200: dict, 201: dict})
def household_visit(
    request: HttpRequest, payload: Form[HouseholdVisitIn], photo: UploadedFile | None = NO_PHOTO
) -> Status[dict[str, Any]]:
    visit, created = services.household_visit_record(
        actor=_user(request),
        client_key=payload.client_key,
        grid_code=payload.grid,
        household=payload.household,
        notes=payload.notes,
        visited_at=payload.visited_at,
        lon=payload.lon,
        lat=payload.lat,
        photo=photo,
        now=clock.now(),
    )
    return Status(201 if created else 200, present.household_visit_out(visit))


PLANS_PER_PAGE = 200


class PlansQuery(DayQuery):
    grid: str = Field("", max_length=20)
    page: int = Field(1, ge=1, le=10_000)


@router.get("/plans", response=dict)
def plans(request: HttpRequest, q: Query[PlansQuery]) -> dict[str, Any]:
    """Patrol plans of a day: a worker's own, a grid head's or centre's: those of its grids."""
    user, day, now = _user(request), _day(q), clock.now()
    qs = selectors.plans_visible(user, day=day)
    if q.grid:
        qs = qs.filter(grid__code=q.grid)
    first = (q.page - 1) * PLANS_PER_PAGE
    return {
        "day": day.isoformat(),
        "page": q.page,
        "per_page": PLANS_PER_PAGE,
        "total": qs.count(),
        "items": [present.plan_out(p, now=now) for p in qs[first : first + PLANS_PER_PAGE]],
    }


@router.post("/plans", response={201: dict})
def plan_create(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    now = clock.now()
    plan = services.patrol_plan_create(
        actor=_user(request),
        grid_code=payload.grid,
        worker_id=payload.worker_id,
        window_start=payload.window_start,
        window_end=payload.window_end,
        joint=payload.joint,
        police_id=payload.police_id,
        now=now,
    )
    return Status(201, present.plan_out(plan, now=now))


@router.post("/plans/{plan_id}/cancel", response=dict)
def plan_cancel(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    now = clock.now()
    plan = services.patrol_plan_cancel(actor=_user(request), plan_id=plan_id, now=now)
    return present.plan_out(plan, now=now)


@router.get("/daily", response=dict)
def daily(request: HttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    user, day = _user(request), _day(q)
    return {
        "day": day.isoformat(),
        **present.log_out(selectors.daily_log(user, day=day)),
        "compliance": present.compliance_out(selectors.compliance_for(user, day=day)),
    }


@router.get("/weekly", response=dict)
def weekly(request: HttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    monday, total, rows = selectors.weekly_summary(_user(request), any_day=_day(q))
    return {
        "week_of": monday.isoformat(),
        **present.log_out(total),
        "days": [
            {"day": d.isoformat(), "counts": log.counts(), "compliance": present.compliance_out(c)}
            for d, log, c in rows
        ],
    }


@router.get("/compliance", response=dict)
def compliance(request: HttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    """警网联勤 compliance of every grid worker the caller may see, for one day."""
    day = _day(q)
    rows = selectors.compliance_of_workers(_user(request), day=day)
    return {
        "day": day.isoformat(),
        "items": [
            {"worker": w.username, "name": w.display_name or w.username, **present.compliance_out(c)}
            for w, c in rows
        ],
    }
