"""The database housekeeping job (core/housekeeping.py): on SQLite the first run gives the
planner its statistics (ANALYZE), later runs refresh them cheaply (PRAGMA optimize); on
PostgreSQL autovacuum does this, and the job does nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.core.housekeeping import database_housekeeping, database_optimize

pytestmark = pytest.mark.django_db


def _stat_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0]


def test_the_first_run_analyses_the_database_and_later_runs_only_refresh(world):
    if connection.vendor != "sqlite":
        assert database_optimize().action == "none"
        assert database_housekeeping.call()["action"] == "none"
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is not None:
            cursor.execute("DELETE FROM sqlite_stat1")
    first = database_optimize()
    assert (first.vendor, first.action) == ("sqlite", "analyze")
    # Every table with rows now has its statistics (an empty table has none to give).
    assert _stat_rows("geo_grid") > 0 and _stat_rows("geo_region") > 0
    assert database_optimize().action == "optimize"
    result = database_housekeeping.call()
    assert (result["vendor"], result["action"]) == ("sqlite", "optimize")
