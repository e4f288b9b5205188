"""Periodic care of the database itself, run by `gridgov worker` (docs/worker.md) and after the
demo seeds.

SQLite's query planner chooses indexes from the statistics in `sqlite_stat1`, which only
ANALYZE writes. Without them it guesses, and a guess can be costly: before the first ANALYZE,
finding the due cases of a seeded demo city took 0.37 s instead of 4 ms. `PRAGMA optimize`
refreshes the statistics of the tables that changed enough since the last run, cheaply; a
database that was never analysed gets one ANALYZE (bounded by `analysis_limit`, so it reads a
sample of each index rather than the whole table). PostgreSQL keeps its own statistics
(autovacuum's ANALYZE), so there is nothing to do there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django_tasks import task

log = logging.getLogger("gridgov.housekeeping")

# Rows ANALYZE reads per index (an approximate sample): enough for the planner's choice, and
# it keeps the run under a second on a city's database.
ANALYSIS_LIMIT = 1000
# `PRAGMA optimize` flags: 0x02 analyse the tables that would gain, 0x10000 look at every
# table, not only those this connection used (a fresh connection in a worker has used none).
OPTIMIZE_MASK = 0x10002


@dataclass(frozen=True)
class Optimized:
    vendor: str
    action: str  # "analyze" (first time), "optimize", or "none" (not SQLite)
    seconds: float


def _never_analysed(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return True
    cursor.execute("SELECT count(*) FROM sqlite_stat1")
    return not cursor.fetchone()[0]


def database_optimize(*, using: str = "default") -> Optimized:
    """Refresh the query planner's statistics where the database needs it (SQLite)."""
    connection = connections[using]
    started = time.perf_counter()
    if connection.vendor != "sqlite":
        return Optimized(connection.vendor, "none", 0.0)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        if _never_analysed(cursor):
            action = "analyze"
            cursor.execute("ANALYZE")
        else:
            action = "optimize"
            cursor.execute(f"PRAGMA optimize = {OPTIMIZE_MASK:#x}")
    done = Optimized(connection.vendor, action, time.perf_counter() - started)
    log.info("database %s: %s in %.2f s", using, done.action, done.seconds)
    return done


@task()
def database_housekeeping() -> dict[str, object]:
    """The periodic job (`core.housekeeping`, every few hours): idempotent, any worker may run
    it, twice at once is harmless (both only refresh statistics)."""
    done = database_optimize()
    return {"vendor": done.vendor, "action": done.action, "seconds": round(done.seconds, 3)}
