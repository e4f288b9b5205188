"""Background job of the stats domain, run by `gridgov worker` every few seconds.

`stats_refresh` reads the case events after the cursor and applies them to the summary tables
(services.stats_refresh). Safe to run twice, even at once: the cursor row is locked while a
batch is applied and saved in the same transaction as the batch's writes, and applying a case
again changes nothing (each event recomputes the case's whole contribution).
"""

from __future__ import annotations

from django_tasks import task

from gridgov.stats.services import stats_refresh as refresh


@task()
def stats_refresh() -> dict[str, int]:
    return {"events": refresh()}
