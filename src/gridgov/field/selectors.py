"""Readers of the field app, always through the caller's scope: my grids, my tasks, my patrols,
the daily log and the weekly summary, and the joint-patrol compliance of a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff, User
from gridgov.accounts.scope import grids_visible
from gridgov.cases.enums import CaseAction, CaseStatus, Channel
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.selectors import cases_visible
from gridgov.field.enums import PatrolStatus, PlanState
from gridgov.field.models import HouseholdVisit, Patrol, PatrolPlan
from gridgov.field.rules import JointPatrolRule, joint_patrol_rule
from gridgov.geo.models import Grid
from gridgov.registry.models import Visit
from gridgov.registry.selectors import my_visits

TASK_LIMIT = 100


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A local calendar day (Asia/Shanghai) as [start, end)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def my_grids(user: Any) -> QuerySet[Grid]:
    return grids_visible(user).select_related("community").order_by("code")


def police_partners(user: Any) -> QuerySet[User]:
    """The community police officers serving the beats of the user's grids."""
    grid_ids = grids_visible(user).values("pk")
    ids = GridStaff.objects.filter(grid_id__in=grid_ids, duty=GridDuty.POLICE).values("user_id")
    return User.objects.filter(pk__in=ids, role=Role.POLICE, is_active=True).order_by("username")


@dataclass(frozen=True)
class Tasks:
    verify: list[Case]
    check: list[Case]
    visits_overdue: list[Any]
    visits_due: list[Any]
    patrols_open: list[Patrol]
    plans: list[PatrolPlan] = field(default_factory=list)


def my_tasks(user: Any, *, now: dt.datetime) -> Tasks:
    cases = (
        cases_visible(user)
        .select_related("category", "grid")
        .defer("grid__boundary")
        .order_by("created_at", "id")
    )
    visits = my_visits(user, now=now)
    return Tasks(
        verify=list(cases.filter(status=CaseStatus.ACCEPTED)[:TASK_LIMIT]),
        check=list(cases.filter(status=CaseStatus.REPORTED)[:TASK_LIMIT]),
        visits_overdue=list(visits["overdue"].select_related("resident", "category")[:TASK_LIMIT]),
        visits_due=list(visits["due_soon"].select_related("resident", "category")[:TASK_LIMIT]),
        patrols_open=list(patrols_of(user).filter(status=PatrolStatus.ACTIVE)),
        plans=list(plans_visible(user, day=timezone.localdate(now)).filter(cancelled_at__isnull=True)),
    )


def patrols_of(user: Any, *, day: dt.date | None = None) -> QuerySet[Patrol]:
    qs = Patrol.objects.filter(worker_id=user.pk).select_related("grid", "police").defer("grid__boundary")
    if day is not None:
        start, end = day_bounds(day)
        qs = qs.filter(started_at__gte=start, started_at__lt=end)
    return qs


def household_visits_of(user: Any, *, start: dt.datetime, end: dt.datetime) -> QuerySet[HouseholdVisit]:
    return HouseholdVisit.objects.filter(worker_id=user.pk, visited_at__gte=start, visited_at__lt=end)


@dataclass(frozen=True)
class Compliance:
    day: dt.date
    rule: JointPatrolRule
    joint: int  # joint patrols finished that day
    qualifying: int  # of which long enough
    compliant: bool


def compliance_for(user: Any, *, day: dt.date, rule: JointPatrolRule | None = None) -> Compliance:
    rule = rule or joint_patrol_rule()
    joint = [p for p in patrols_of(user, day=day).filter(status=PatrolStatus.DONE) if p.joint]
    qualifying = sum(1 for p in joint if p.duration_s >= rule.min_minutes * 60)
    return Compliance(day, rule, len(joint), qualifying, qualifying >= rule.per_day)


@dataclass
class Log:
    """What one worker did in [start, end): the daily log, and summed, the weekly summary."""

    start: dt.datetime
    end: dt.datetime
    reported: list[str] = field(default_factory=list)  # case numbers
    verified: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    key_person_visits: int = 0
    household_visits: int = 0
    patrols: int = 0
    joint_patrols: int = 0
    patrol_minutes: int = 0
    distance_m: float = 0.0

    def counts(self) -> dict[str, Any]:
        return {
            "cases_reported": len(self.reported),
            "cases_verified": len(self.verified),
            "cases_checked": len(self.checked),
            "key_person_visits": self.key_person_visits,
            "household_visits": self.household_visits,
            "patrols": self.patrols,
            "joint_patrols": self.joint_patrols,
            "patrol_minutes": self.patrol_minutes,
            "distance_km": round(self.distance_m / 1000, 2),
        }


def log_for(user: Any, *, start: dt.datetime, end: dt.datetime) -> Log:
    log = Log(start, end)
    log.reported = list(
        Case.objects.filter(
            created_by_id=user.pk, channel=Channel.GRID_WORKER, created_at__gte=start, created_at__lt=end
        ).values_list("number", flat=True)
    )
    events = CaseEvent.objects.filter(
        actor_id=user.pk, at__gte=start, at__lt=end, action__in=[CaseAction.VERIFY, CaseAction.CHECK]
    ).values_list("action", "case__number")
    for action, number in events:
        (log.verified if action == CaseAction.VERIFY else log.checked).append(number)
    log.key_person_visits = Visit.objects.filter(
        visitor_id=user.pk, visited_at__gte=start, visited_at__lt=end
    ).count()
    log.household_visits = household_visits_of(user, start=start, end=end).count()
    for p in Patrol.objects.filter(worker_id=user.pk, started_at__gte=start, started_at__lt=end):
        log.patrols += 1
        log.joint_patrols += int(p.joint)
        log.patrol_minutes += p.duration_s // 60
        log.distance_m += p.distance_m
    return log


def daily_log(user: Any, *, day: dt.date) -> Log:
    start, end = day_bounds(day)
    return log_for(user, start=start, end=end)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_summary(
    user: Any, *, any_day: dt.date
) -> tuple[dt.date, Log, list[tuple[dt.date, Log, Compliance]]]:
    """The week (Monday to Sunday) holding `any_day`: its total and each day with compliance."""
    monday = week_start(any_day)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    rows = [(d, daily_log(user, day=d), compliance_for(user, day=d)) for d in days]
    start, _ = day_bounds(monday)
    _, end = day_bounds(days[-1])
    return monday, log_for(user, start=start, end=end), rows


def workers_visible(user: Any) -> QuerySet[User]:
    """The grid workers serving the grids the user may read (a worker: itself)."""
    if getattr(user, "role", None) == Role.GRID_WORKER:
        return User.objects.filter(pk=user.pk)
    ids = GridStaff.objects.filter(grid_id__in=grids_visible(user).values("pk"), duty=GridDuty.WORKER).values(
        "user_id"
    )
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


def compliance_of_workers(user: Any, *, day: dt.date, limit: int = 500) -> list[tuple[User, Compliance]]:
    rule = joint_patrol_rule()
    return [(w, compliance_for(w, day=day, rule=rule)) for w in workers_visible(user)[:limit]]


def plans_visible(user: Any, *, day: dt.date | None = None) -> QuerySet[PatrolPlan]:
    """A grid worker's own plans; anyone else's: the plans of the grids it may read."""
    qs = PatrolPlan.objects.select_related("grid", "worker", "police", "patrol").defer("grid__boundary")
    if getattr(user, "role", None) == Role.GRID_WORKER:
        qs = qs.filter(worker_id=user.pk)
    else:
        qs = qs.filter(grid__in=grids_visible(user).values("pk"))
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("window_start", "grid__code", "id")


def plan_state(plan: PatrolPlan, *, now: dt.datetime) -> PlanState:
    if plan.cancelled_at is not None:
        return PlanState.CANCELLED
    if plan.patrol_id is not None:
        return PlanState.DONE
    return PlanState.OVERDUE if now > plan.window_end else PlanState.PENDING
