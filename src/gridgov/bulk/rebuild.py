"""The bulk-load path of PostgreSQL: a large import writes its rows with the tables' secondary
indexes and foreign keys set aside, and builds them again at the end, all in one transaction
(docs/decisions/0005-bulk-load.md).

Why: with every index and foreign key in place, each row costs the server one random B-tree
insert per index and one trigger with its query per foreign key at commit (PostgreSQL 15 has no
batched RI check); building an index from sorted data and validating a foreign key with one
anti-join cost a fraction of that per row (docs/benchmarks-import.md).

What is set aside: the plain secondary indexes and the foreign keys *of* the tables written.
What stays: the primary key and the unique constraints (the blind index of the ID number, the
address key, the credit code): the import looks rows up by them while it loads (twins in the
database, addresses already known), and they keep refusing a twin row by row, so the rebuild can
never fail on a duplicate that slipped through — except on a table that was empty when the
load locked it, whose unique constraints are set aside too and built again at the end (see
indexes_set_aside: only the load's own rows can be there, and the load refuses its own twins).
Foreign keys of *other* tables that point at these ones reference the primary keys, which stay,
so they are not touched.

The definitions are read from the catalogue (`pg_get_indexdef`, `pg_get_constraintdef`) just
before they are dropped, and put back under the same names: Django's migration state never
sees a difference. Everything happens in the caller's transaction: PostgreSQL's DDL is
transactional, so a failure (or a kill) anywhere rolls the indexes back with the rows, and the
tables are exactly as they were. The price is an ACCESS EXCLUSIVE lock on the tables for the
whole load: nobody reads or writes them meanwhile (docs/import.md, "Bulk load").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection

from gridgov.core.errors import DomainError

log = logging.getLogger("gridgov.bulk")

# Memory for each index build and foreign-key check (SET LOCAL: this transaction only). The sort
# of a million 64-character keys fits in it, so the build does not spill to disk.
MAINTENANCE_WORK_MEM = "512MB"


@dataclass
class TablePlan:
    table: str
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (name, FOREIGN KEY …)
    uniques: list[tuple[str, str]] = field(default_factory=list)  # (name, UNIQUE (…)): fresh tables


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def plan(cursor: Any, tables: Sequence[str], fresh: Collection[str] = ()) -> list[TablePlan]:
    """What would be set aside on these tables, read from the catalogue; on the `fresh` ones
    (empty when the load locked them) the unique constraints too."""
    out = []
    for table in tables:
        p = TablePlan(table)
        if table in fresh:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY conname",
                [table],
            )
            p.uniques = [(name, ddl) for name, ddl in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            " ORDER BY c.relname",
            [table],
        )
        p.indexes = [(name, ddl) for name, ddl in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        p.foreign_keys = [(name, ddl) for name, ddl in cursor.fetchall()]
        out.append(p)
    return out


def lock(tables: Sequence[str]) -> None:
    """ACCESS EXCLUSIVE on the tables until the transaction ends: dropping an index takes it
    anyway; taken first, in one statement, so two loads queue instead of deadlocking."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(_q(t) for t in tables)} IN ACCESS EXCLUSIVE MODE")


@contextmanager
def indexes_set_aside(
    tables: Sequence[str], *, fresh: Collection[str] = (), on_rebuild: Any = None
) -> Iterator[list[TablePlan]]:
    """Drop the secondary indexes and foreign keys of the tables, and the unique constraints of
    the `fresh` ones; on leaving normally, create them again (on_rebuild() is called first: the
    job says so on its page). Must run inside a transaction (an atomic block): leaving by an
    exception leaves the rollback to it.

    Why the unique constraints of a table that was empty: into it, nothing can be written during
    the load but the load's own rows (the lock), and the load already refuses its own twins (the
    handler remembers every key of the file and every address it created), so the constraint
    has nothing to refuse row by row; keeping it cost the server a random B-tree insert per row
    (~4.5 µs a row against ~1.1 µs to build it once at the end, docs/benchmarks-import.md). It is
    built again before the commit like the rest: a twin that got through anyway fails the load
    there, named, and nothing is committed."""
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_set_aside needs a transaction: its DDL must roll back with the rows")
    lock(tables)
    with connection.cursor() as cursor:
        # A deferred check pending from earlier in the transaction would forbid ALTER TABLE
        # ("pending trigger events"): run them now, and defer again what was deferred.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        plans = plan(cursor, tables, fresh)
        for p in plans:
            for name, _ in p.foreign_keys + p.uniques:
                cursor.execute(f"ALTER TABLE {_q(p.table)} DROP CONSTRAINT {_q(name)}")
            for name, _ in p.indexes:
                cursor.execute(f"DROP INDEX {_q(name)}")
    loading = time.perf_counter()
    yield plans
    log.info("rows of %s written in %.1f s; rebuilding", ", ".join(tables), time.perf_counter() - loading)
    if on_rebuild is not None:
        on_rebuild()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        name = ""
        started = time.perf_counter()

        def run(sql: str) -> None:
            # Each step timed in the log: what an operator watching a long rebuild wants to see.
            step = time.perf_counter()
            cursor.execute(sql)
            log.info("rebuilt %s in %.2f s", name, time.perf_counter() - step)

        try:
            for p in plans:
                for name, ddl in p.indexes:  # noqa: B007 (named in the error below)
                    run(ddl)
                for name, ddl in p.uniques:
                    run(f"ALTER TABLE {_q(p.table)} ADD CONSTRAINT {_q(name)} {ddl}")
            # The foreign keys after the indexes: checking one is a join that may use them.
            for p in plans:
                for name, ddl in p.foreign_keys:
                    run(f"ALTER TABLE {_q(p.table)} ADD CONSTRAINT {_q(name)} {ddl}")
            took = time.perf_counter() - started
            log.info("indexes and keys of %s rebuilt in %.1f s", ", ".join(tables), took)
        except DatabaseError as exc:
            # A row the load wrote breaks an index or a key it was spared meanwhile: the caller's
            # transaction rolls it all back, and the job says why.
            raise DomainError(
                f"重建索引或外键 {name} 时失败,本次导入已整体回滚:{exc}",
                f"rebuilding {name} failed; the whole load was rolled back: {exc}",
                code="rebuild_failed",
            ) from exc


def table_rows(table: str) -> int:
    """The planner's estimate of a table's rows (no count(*) over millions); an exact count
    when the table was never analysed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
        estimate = int(row[0]) if row else -1
        if estimate >= 0:
            return estimate
        cursor.execute(f"SELECT count(*) FROM {_q(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {_q(table)})")  # noqa: S608
        return bool(cursor.fetchone()[0])
