"""The only writers of the field app. Each one transaction, each idempotent by the phone's key."""

from gridgov.field.services.households import household_visit_record
from gridgov.field.services.patrols import (
    PointIn,
    patrol_hazard_report,
    patrol_points_add,
    patrol_start,
    patrol_stop,
)

__all__ = [
    "PointIn",
    "household_visit_record",
    "patrol_hazard_report",
    "patrol_points_add",
    "patrol_start",
    "patrol_stop",
]
