"""The shipped default deadlines. The cases domain keeps one editable policy per category ×
urgency × level and falls back to these values."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.sla.durations import Duration


@dataclass(frozen=True)
class DeadlinePolicy:
    # Which event starts each clock (dispatch, acceptance, finishing) is the cases domain's call.
    contact: Duration  # first contact with the reporter
    finish: Duration  # the matter handled
    feedback: Duration  # result reported back to the reporter, after finishing


# 131 工作法: contact within 1 hour, finish within 3 working days, feedback within 1 day.
# The hour is a working hour: a case dispatched on Friday at 20:00 must be contacted by
# Monday 10:00, not by 21:00 when no department is at work (docs/deadlines.md). Categories that
# run through the night (gas leaks, water mains) get their own policy in clock HOURS.
RULE_131 = DeadlinePolicy(
    contact=Duration.work_hours(1),
    finish=Duration.workdays(3),
    feedback=Duration.workdays(1),
)
