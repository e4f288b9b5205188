"""Case numbers: region code + local date + a per-region per-day sequence, 620102-20261121-0007.

One upsert (INSERT … ON CONFLICT … DO UPDATE … RETURNING) takes the next value: atomic on
PostgreSQL (the row lock of the conflicting row serialises two callers) and on SQLite (one
writer at a time), with no read-then-write window. It runs inside the case's transaction, so a
failed intake gives its number back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from gridgov.cases.models import CaseSequence


def number_cte_sql(*, region_code: str, day: date) -> tuple[str, list[Any]]:
    """The upsert that takes the next value (`RETURNING last`), as SQL and parameters."""
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    return (
        f"INSERT INTO {table} (region_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - our own table name
        f"ON CONFLICT (region_code, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
        [region_code, day.isoformat()],
    )


def _prefix(region_code: str, day: date) -> str:
    return f"{region_code}-{day:%Y%m%d}-"


def case_number_next(*, region_code: str, day: date) -> str:
    sql, params = number_cte_sql(region_code=region_code, day=day)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    return f"{_prefix(region_code, day)}{row[0]:04d}"


def number_from_cte_sql(*, region_code: str, day: date, cte: str) -> tuple[str, list[Any]]:
    """PostgreSQL: the number as an SQL expression over the upsert run as the CTE `cte`, the
    same text `case_number_next` makes (at least four digits, more past 9999)."""
    return (
        f"(SELECT %s || CASE WHEN last < 10000 THEN lpad(last::text, 4, '0') ELSE last::text END FROM {cte})",  # noqa: S608 - `cte` is our own name
        [_prefix(region_code, day)],
    )
