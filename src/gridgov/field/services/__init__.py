"""The only writers of the field app. Each one transaction, each idempotent by the phone's key."""

from gridgov.field.services.households import household_visit_record
from gridgov.field.services.patrols import (
    PointIn,
    patrol_hazard_report,
    patrol_points_add,
    patrol_start,
    patrol_stop,
)
from gridgov.field.services.plans import (
    patrol_plan_cancel,
    patrol_plan_create,
    patrol_plans_ensure_for_day,
)

__all__ = [
    "PointIn",
    "household_visit_record",
    "patrol_hazard_report",
    "patrol_plan_cancel",
    "patrol_plan_create",
    "patrol_plans_ensure_for_day",
    "patrol_points_add",
    "patrol_start",
    "patrol_stop",
]
