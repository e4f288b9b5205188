"""Patrols: start, GPS track in batches, hazards found on the way, stop. Time and distance are
computed here from the stored track, never taken from the phone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff, User
from gridgov.accounts.scope import grids_visible
from gridgov.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.field.enums import FIELD_ROLES, PatrolStatus
from gridgov.field.models import Patrol, PatrolHazard, PatrolPoint
from gridgov.field.services.keys import client_key_checked
from gridgov.field.services.plans import plan_fulfil
from gridgov.geo.index import haversine_m
from gridgov.geo.locate import check_point
from gridgov.geo.models import Grid
from gridgov.registry.enums import HazardLevel
from gridgov.registry.services.hazards import hazard_create

MAX_POINTS_PER_BATCH = 500
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = dt.timedelta(minutes=5)
# A patrol longer than this is a forgotten stop button, not a patrol.
MAX_PATROL = dt.timedelta(hours=16)


@dataclass(frozen=True)
class PointIn:
    at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


def _field_actor(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role not in FIELD_ROLES:
        raise Forbidden(
            "只有网格员和网格长可以巡查", "only grid workers and grid heads patrol", code="field_forbidden"
        )


def _not_future(at: dt.datetime, now: dt.datetime, what_zh: str, what_en: str) -> None:
    if at > now + CLOCK_SLACK:
        raise InvalidInput(f"{what_zh}不能晚于现在", f"{what_en} cannot be in the future", code="future_time")


def _police_partner(police_id: int, grid: Grid) -> User:
    police = User.objects.filter(pk=police_id, is_active=True, role=Role.POLICE).first()
    if police is None:
        raise InvalidInput("联勤民警不存在", "no such community police officer", code="bad_police")
    if not GridStaff.objects.filter(user=police, grid=grid, duty=GridDuty.POLICE).exists():
        raise InvalidInput(
            "该民警不负责此网格所在警格", "that officer does not serve this grid's beat", code="bad_police"
        )
    return police


def _own(actor: Any, client_key: str, *, lock: bool = False) -> Patrol:
    qs = Patrol.objects.select_for_update() if lock else Patrol.objects.all()
    patrol = qs.filter(client_key=client_key).first()
    if patrol is None or patrol.worker_id != actor.pk:
        # Someone else's patrol answers like no patrol at all.
        raise NotFound("巡查不存在", "no such patrol", code="unknown_patrol")
    return patrol


def patrol_start(
    *,
    actor: Any,
    client_key: str,
    grid_code: str,
    started_at: dt.datetime,
    police_id: int | None = None,
    note: str = "",
    now: dt.datetime,
) -> tuple[Patrol, bool]:
    """(patrol, created). The same key again answers the patrol already started."""
    _field_actor(actor)
    client_key = client_key_checked(client_key)
    existing = Patrol.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.worker_id != actor.pk:
            raise Conflict(
                "该 client_key 已被使用", "this client_key is already used", code="client_key_reused"
            )
        return existing, False
    grid = grids_visible(actor).filter(code=grid_code).defer("boundary").first()
    if grid is None:
        raise InvalidInput(
            f"网格 {grid_code} 不在您的负责范围内", f"grid {grid_code} is not yours", code="bad_grid"
        )
    _not_future(started_at, now, "开始时间", "the start")
    police = _police_partner(police_id, grid) if police_id is not None else None
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                client_key=client_key,
                worker=actor,
                grid=grid,
                police=police,
                note=note.strip(),
                started_at=started_at,
                created_at=now,
                updated_at=now,
            )
            plan_fulfil(patrol, now=now)
    except IntegrityError:
        # The same key raced in twice: the first one is the patrol.
        return Patrol.objects.get(client_key=client_key), False
    return patrol, True


def _length_m(patrol: Patrol) -> tuple[float, int]:
    rows = list(PatrolPoint.objects.filter(patrol=patrol).order_by("at").values_list("lon", "lat"))
    if len(rows) < 2:
        return 0.0, len(rows)
    xy = np.asarray(rows, dtype=float)
    return float(haversine_m(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum()), len(rows)


def _measure(patrol: Patrol, now: dt.datetime) -> None:
    patrol.distance_m, patrol.point_count = _length_m(patrol)
    patrol.updated_at = now
    patrol.save(update_fields=["distance_m", "point_count", "updated_at"])


def patrol_points_add(
    *, actor: Any, client_key: str, points: list[PointIn], now: dt.datetime
) -> tuple[Patrol, int]:
    """(patrol, points added). A batch sent again adds nothing (one point per instant)."""
    if not points:
        raise InvalidInput("没有轨迹点", "no track points", code="no_points")
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InvalidInput(
            f"每批最多 {MAX_POINTS_PER_BATCH} 个轨迹点",
            f"at most {MAX_POINTS_PER_BATCH} points per batch",
            code="too_many_points",
        )
    for p in points:
        check_point(p.lon, p.lat)
        _not_future(p.at, now, "轨迹点时间", "a track point")
    with transaction.atomic():
        patrol = _own(actor, client_key, lock=True)
        end = patrol.ended_at or now + CLOCK_SLACK
        outside = [p for p in points if not patrol.started_at - CLOCK_SLACK <= p.at <= end]
        if outside:
            raise InvalidInput(
                "轨迹点时间不在巡查时段内",
                "a track point lies outside the patrol's time",
                code="point_outside_patrol",
            )
        before = patrol.point_count
        PatrolPoint.objects.bulk_create(
            [
                PatrolPoint(patrol=patrol, at=p.at, lon=p.lon, lat=p.lat, accuracy_m=p.accuracy_m)
                for p in points
            ],
            ignore_conflicts=True,
        )
        _measure(patrol, now)
        return patrol, patrol.point_count - before


def patrol_stop(
    *, actor: Any, client_key: str, ended_at: dt.datetime, now: dt.datetime
) -> tuple[Patrol, bool]:
    """(patrol, stopped now). A stop sent again answers the patrol as first stopped."""
    _not_future(ended_at, now, "结束时间", "the end")
    with transaction.atomic():
        patrol = _own(actor, client_key, lock=True)
        if patrol.status == PatrolStatus.DONE:
            return patrol, False
        if ended_at < patrol.started_at:
            raise InvalidInput("结束时间早于开始时间", "the end is before the start", code="bad_time")
        if ended_at - patrol.started_at > MAX_PATROL:
            raise InvalidInput(
                "巡查时长超过 16 小时", "a patrol cannot last more than 16 hours", code="bad_time"
            )
        patrol.status = PatrolStatus.DONE
        patrol.ended_at = ended_at
        patrol.save(update_fields=["status", "ended_at"])
        _measure(patrol, now)
        return patrol, True


def patrol_hazard_report(
    *,
    actor: Any,
    client_key: str,
    patrol_key: str,
    title: str,
    description: str = "",
    level: HazardLevel = HazardLevel.GENERAL,
    lon: float | None = None,
    lat: float | None = None,
    found_at: dt.datetime,
    now: dt.datetime,
) -> tuple[PatrolHazard, bool]:
    """A hazard found on the way, written by the registry's hazard service in this transaction."""
    client_key = client_key_checked(client_key)
    existing = PatrolHazard.objects.select_related("hazard", "patrol").filter(client_key=client_key).first()
    if existing is not None:
        if existing.patrol.worker_id != actor.pk:
            raise Conflict(
                "该 client_key 已被使用", "this client_key is already used", code="client_key_reused"
            )
        return existing, False
    with transaction.atomic():
        patrol = _own(actor, patrol_key, lock=True)
        hazard = hazard_create(
            actor=actor,
            title=title,
            description=description,
            level=level,
            lon=lon,
            lat=lat,
            # The position wins; without one, the patrol's grid places the hazard.
            grid_id=patrol.grid_id,
            found_at=found_at,
            now=now,
        )
        return PatrolHazard.objects.create(client_key=client_key, patrol=patrol, hazard=hazard), True
