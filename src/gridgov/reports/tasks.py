"""Background jobs of bulletins, run by `gridgov worker` (docs/bulletins.md).

- `generate_report(id)`: one report, queued by `report_request` after its commit.
- `schedule_reports`: run every few minutes by the worker's schedule; queues what the
  calendar says is due and missing (`reports_schedule`), so a worker that was down at midnight
  catches up when it starts. Both are idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from django_tasks import task

from gridgov.core import clock
from gridgov.reports.services import report_generate, reports_schedule


@task()
def generate_report(report_id: int) -> int | None:
    version = report_generate(report_id=report_id, now=clock.now())
    return version.number if version else None


@task()
def schedule_reports() -> list[int]:
    return reports_schedule(now=clock.now())
