"""Demo field work (演示数据(合成)): a week of patrols, some joint with the beat's police officer,
with synthetic GPS tracks, and household visits, for the first grid workers of the demo city.
Through the field services with the worker as actor; idempotent by the items' client keys."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import shapely
from django.utils import timezone

from gridgov.accounts.enums import GridDuty
from gridgov.accounts.models import GridStaff
from gridgov.field.models import Patrol
from gridgov.field.services import (
    PointIn,
    household_visit_record,
    patrol_plans_ensure_for_day,
    patrol_points_add,
    patrol_start,
    patrol_stop,
)
from gridgov.geo.models import Region

LABEL = "演示数据(合成)"
WORKERS = 20
DAYS = 7


def seed_demo(*, city: Region, now: dt.datetime, out: Any, options: dict[str, Any]) -> list[str]:
    rng = random.Random(11)
    staff = list(
        GridStaff.objects.filter(duty=GridDuty.WORKER, grid__code__startswith=city.prefix)
        .select_related("user", "grid")
        .order_by("grid__code")[:WORKERS]
    )
    made = 0
    for row in staff:
        police = (
            GridStaff.objects.filter(grid=row.grid, duty=GridDuty.POLICE)
            .values_list("user_id", flat=True)
            .first()
        )
        centre = shapely.point_on_surface(shapely.from_geojson(json.dumps(row.grid.boundary)))
        for back in range(1, DAYS + 1):
            day_start = timezone.localtime(now - dt.timedelta(days=back)).replace(
                hour=9, minute=0, second=0, microsecond=0
            )
            for n in range(2 if back % 3 else 1):  # most days two patrols, some days one
                key = f"demo-{row.grid.code}-{back}-{n}"
                if Patrol.objects.filter(client_key=key).exists():
                    continue
                start = day_start + dt.timedelta(hours=4 * n, minutes=rng.randint(0, 40))
                minutes = rng.choice([25, 35, 40, 50])
                patrol_start(
                    actor=row.user, client_key=key, grid_code=row.grid.code, started_at=start,
                    police_id=police, note=LABEL, now=now,
                )  # fmt: skip
                lon, lat, points = centre.x, centre.y, []
                for i in range(minutes // 5 + 1):
                    points.append(PointIn(start + dt.timedelta(minutes=5 * i), lon, lat))
                    lon += rng.uniform(-0.0008, 0.0008)
                    lat += rng.uniform(-0.0006, 0.0006)
                patrol_points_add(actor=row.user, client_key=key, points=points, now=now)
                patrol_stop(
                    actor=row.user, client_key=key, ended_at=start + dt.timedelta(minutes=minutes), now=now
                )
                made += 1
            door = f"{rng.randint(1, 20)}栋{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}"
            household_visit_record(
                actor=row.user, client_key=f"demo-hh-{row.grid.code}-{back}", grid_code=row.grid.code,
                household=door,
                notes=f"入户走访,家中情况正常({LABEL})", visited_at=day_start + dt.timedelta(hours=3),
                lon=centre.x, lat=centre.y, now=now,
            )  # fmt: skip
    # Today's default plans (two joint patrols) for every grid worker of the demo city.
    plans = patrol_plans_ensure_for_day(day=timezone.localdate(now), now=now, grid_prefix=city.prefix)
    if staff:
        out.write(f"网格员巡查计划 / patrol plans today: {plans}")
        out.write(f"网格员移动端演示数据 / field demo: {made} patrols for {len(staff)} workers")
    first = staff[0].user.username if staff else ""
    return [f"网格员移动端{LABEL}: {len(staff)} 名网格员近 7 天的巡查与入户走访;手机打开 /field/(如 {first})"]
