"""警网联勤 compliance: at least N joint patrols a day, each at least M minutes (Suzhou: 2 × 30).
Configurable per deployment in settings; the defaults are the seed's numbers. The default plans
of a day (巡查计划) take the first N windows of FIELD_PATROL_PLAN_WINDOWS (local times)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

DEFAULT_WINDOWS = (("09:00", "11:00"), ("14:30", "16:30"), ("19:00", "21:00"))


@dataclass(frozen=True)
class JointPatrolRule:
    per_day: int
    min_minutes: int
    windows: tuple[tuple[dt.time, dt.time], ...] = ()


def joint_patrol_rule() -> JointPatrolRule:
    per_day = int(getattr(settings, "FIELD_JOINT_PATROLS_PER_DAY", 2))
    raw = getattr(settings, "FIELD_PATROL_PLAN_WINDOWS", DEFAULT_WINDOWS)
    windows = tuple((dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in raw)[:per_day]
    return JointPatrolRule(
        per_day=per_day,
        min_minutes=int(getattr(settings, "FIELD_JOINT_PATROL_MIN_MINUTES", 30)),
        windows=windows,
    )
