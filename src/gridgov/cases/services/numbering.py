"""Case numbers: region code + local date + a per-region per-day sequence, 620102-20261121-0007.

One upsert (INSERT … ON CONFLICT … DO UPDATE … RETURNING) takes the next value: atomic on
PostgreSQL (the row lock of the conflicting row serialises two callers) and on SQLite (one
writer at a time), with no read-then-write window. It runs inside the case's transaction, so a
failed intake gives its number back.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from gridgov.cases.models import CaseSequence


def case_number_next(*, region_code: str, day: date) -> str:
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (region_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - our own table name
            f"ON CONFLICT (region_code, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [region_code, day.isoformat()],
        )
        row = cursor.fetchone()
    assert row is not None
    return f"{region_code}-{day:%Y%m%d}-{row[0]:04d}"
