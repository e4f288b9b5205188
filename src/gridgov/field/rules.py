"""警网联勤 compliance: at least N joint patrols a day, each at least M minutes (Suzhou: 2 × 30).
Configurable per deployment in settings; the defaults are the seed's numbers."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class JointPatrolRule:
    per_day: int
    min_minutes: int


def joint_patrol_rule() -> JointPatrolRule:
    return JointPatrolRule(
        per_day=int(getattr(settings, "FIELD_JOINT_PATROLS_PER_DAY", 2)),
        min_minutes=int(getattr(settings, "FIELD_JOINT_PATROL_MIN_MINUTES", 30)),
    )
