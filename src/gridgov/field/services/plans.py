"""Patrol plans (巡查计划): made by the grid head or a centre over the grid, or by the daily job
from the joint-patrol rule; fulfilled by the first patrol started in the grid in or just before
the window (`plan_fulfil`, called by patrol_start in its transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff, User
from gridgov.accounts.scope import grids_visible
from gridgov.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.field.models import Patrol, PatrolPlan
from gridgov.field.rules import joint_patrol_rule
from gridgov.geo.models import Grid

PLANNER_ROLES = frozenset({Role.GRID_HEAD, Role.DISPATCHER, Role.LEADER, Role.ADMIN})
# A worker who sets out a little early still fulfils the plan.
EARLY = dt.timedelta(minutes=30)
MAX_WINDOW = dt.timedelta(hours=12)


def _planner(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_superuser or actor.role in PLANNER_ROLES
    ):
        raise Forbidden(
            "只有网格长或指挥中心可以安排巡查计划",
            "only a grid head or a command centre plans patrols",
            code="plan_forbidden",
        )


def _overlapping(grid_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    return PatrolPlan.objects.filter(
        grid_id=grid_id, cancelled_at__isnull=True, window_start__lt=end, window_end__gt=start
    ).exists()


def _police_of(grid: Grid, police_id: int) -> User:
    police = User.objects.filter(pk=police_id, is_active=True, role=Role.POLICE).first()
    if police is None or not GridStaff.objects.filter(user=police, grid=grid, duty=GridDuty.POLICE).exists():
        raise InvalidInput(
            "该民警不负责此网格所在警格", "that officer does not serve this grid's beat", code="bad_police"
        )
    return police


def patrol_plan_create(
    *,
    actor: Any,
    grid_code: str,
    worker_id: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    joint: bool = False,
    police_id: int | None = None,
    now: dt.datetime,
) -> PatrolPlan:
    _planner(actor)
    grid = grids_visible(actor).filter(code=grid_code).defer("boundary").first()
    if grid is None:
        raise InvalidInput(
            f"网格 {grid_code} 不在您的管辖范围内", f"grid {grid_code} is not in your scope", code="bad_grid"
        )
    worker = User.objects.filter(pk=worker_id, is_active=True).first()
    if worker is None or not GridStaff.objects.filter(user=worker, grid=grid, duty=GridDuty.WORKER).exists():
        raise InvalidInput(
            "该网格员不在此网格", "that grid worker does not serve this grid", code="bad_worker"
        )
    if window_end <= window_start:
        raise InvalidInput(
            "计划结束时间须晚于开始时间", "the window must end after it starts", code="bad_time"
        )
    if window_end - window_start > MAX_WINDOW:
        raise InvalidInput("计划时段不能超过 12 小时", "a window cannot exceed 12 hours", code="bad_time")
    if window_end <= now:
        raise InvalidInput("不能安排已过去的时段", "the window is already over", code="bad_time")
    police = _police_of(grid, police_id) if police_id is not None else None
    if police is not None:
        joint = True
    with transaction.atomic():
        # The grid row is the lock that keeps two overlapping plans from racing in.
        Grid.objects.select_for_update().only("pk").get(pk=grid.pk)
        if _overlapping(grid.pk, window_start, window_end):
            raise Conflict(
                "该网格在此时段已有巡查计划",
                "the grid already has a plan in that window",
                code="plan_overlap",
            )
        return PatrolPlan.objects.create(
            grid=grid,
            worker=worker,
            day=timezone.localdate(window_start),
            window_start=window_start,
            window_end=window_end,
            joint=joint,
            police=police,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )


def patrol_plan_cancel(*, actor: Any, plan_id: int, now: dt.datetime) -> PatrolPlan:
    """Cancelling twice answers the plan as first cancelled; a fulfilled plan stays."""
    _planner(actor)
    with transaction.atomic():
        plan = (
            PatrolPlan.objects.select_for_update()
            .filter(pk=plan_id, grid__in=grids_visible(actor).values("pk"))
            .first()
        )
        if plan is None:
            raise NotFound("巡查计划不存在", "no such patrol plan", code="unknown_plan")
        if plan.cancelled_at is not None:
            return plan
        if plan.patrol_id is not None:
            raise Conflict("计划已完成,不能取消", "the plan is already fulfilled", code="plan_fulfilled")
        plan.cancelled_at = now
        plan.updated_at = now
        plan.save(update_fields=["cancelled_at", "updated_at"])
        return plan


def plan_fulfil(patrol: Patrol, *, now: dt.datetime) -> PatrolPlan | None:
    """Link a just-started patrol to the earliest open plan of its grid whose window (30 minutes
    early included) holds the start. Runs inside the caller's transaction."""
    plan = (
        PatrolPlan.objects.select_for_update()
        .filter(
            grid_id=patrol.grid_id,
            cancelled_at__isnull=True,
            patrol__isnull=True,
            window_start__lte=patrol.started_at + EARLY,
            window_end__gte=patrol.started_at,
        )
        .order_by("window_start", "id")
        .first()
    )
    if plan is None:
        return None
    plan.patrol = patrol
    plan.updated_at = now
    plan.save(update_fields=["patrol", "updated_at"])
    return plan


def patrol_plans_ensure_for_day(*, day: dt.date, now: dt.datetime, grid_prefix: str = "") -> int:
    """The day's default plans from the joint-patrol rule, for each grid with a worker and no plan
    that day. Idempotent: a grid with any plan that day (even cancelled) is left alone. Returns
    how many plans were made."""
    rule = joint_patrol_rule()
    if not rule.windows:
        return 0
    staff = (
        GridStaff.objects.filter(
            duty=GridDuty.WORKER, user__is_active=True, grid__code__startswith=grid_prefix
        )
        .order_by("grid_id", "user_id")
        .values_list("grid_id", "user_id")
    )
    first_worker: dict[int, int] = {}
    for grid_id, user_id in staff:
        first_worker.setdefault(grid_id, user_id)
    police: dict[int, int] = {}
    for grid_id, user_id in (
        GridStaff.objects.filter(duty=GridDuty.POLICE, grid_id__in=list(first_worker), user__is_active=True)
        .order_by("grid_id", "user_id")
        .values_list("grid_id", "user_id")
    ):
        police.setdefault(grid_id, user_id)
    with transaction.atomic():
        # The same grid-row locks as patrol_plan_create: two runs at once make one set of plans.
        list(Grid.objects.select_for_update().filter(pk__in=list(first_worker)).values_list("pk", flat=True))
        planned = set(
            PatrolPlan.objects.filter(day=day, grid_id__in=list(first_worker)).values_list(
                "grid_id", flat=True
            )
        )
        rows = []
        for grid_id, user_id in first_worker.items():
            if grid_id in planned:
                continue
            for a, b in rule.windows:
                rows.append(
                    PatrolPlan(
                        grid_id=grid_id,
                        worker_id=user_id,
                        day=day,
                        window_start=timezone.make_aware(dt.datetime.combine(day, a)),
                        window_end=timezone.make_aware(dt.datetime.combine(day, b)),
                        joint=True,
                        police_id=police.get(grid_id),
                        created_at=now,
                        updated_at=now,
                    )
                )
        PatrolPlan.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
