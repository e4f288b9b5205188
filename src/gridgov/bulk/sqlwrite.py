"""Many rows into one table, the fastest way each database offers, inside the caller's
transaction.

- PostgreSQL: binary `COPY … FROM STDIN` (psycopg 3, the column types from the catalogue, so
  the server parses no text) straight into the table, in a savepoint; if a
  row's unique key turned up meanwhile (a twin written by someone else since the batch was
  checked), the batch goes again through a temporary table and `INSERT … SELECT … ON CONFLICT DO
  NOTHING`, so the twin is skipped rather than failing the batch.
- PostgreSQL, rows already encoded (`insert_lines`): the same in COPY's text format, the lines
  built where the rows were checked (a worker process), so the writing process only joins them.
- SQLite: `INSERT OR IGNORE … executemany`.

The values must already be in database form (`Field.get_db_prep_save`; a date as a `date`, not
text, since binary COPY sends each value as its column's type): this bypasses the ORM's
per-object work, which is the point. Every concrete column the caller does not give gets its
field's default, so a field added later with a default needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.db import connection, models

_MAX_SQLITE_VARS = 30_000


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def default_columns(model: type[models.Model], given: Sequence[str], *, now: datetime) -> dict[str, Any]:
    """The database value of every concrete column that `given` leaves out (the primary key
    aside): the field's default, now for auto_now(_add), NULL or "" where allowed."""
    out: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        column = f.column
        if f.primary_key or column is None or column in given:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif isinstance(f, (models.CharField, models.TextField)):
            value = ""
        else:
            raise TypeError(f"{model.__name__}.{f.name} has no default: give it to the bulk writer")
        out[column] = f.get_db_prep_save(value, connection)
    return out


def prep(model: type[models.Model], column_values: dict[str, Any]) -> dict[str, Any]:
    """Constant values (one per batch) in database form, keyed by column."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return {c: by_column[c].get_db_prep_save(v, connection) for c, v in column_values.items()}


def _constant_columns(
    model: type[models.Model], columns: Sequence[str], constants: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """The database value of every column not in `columns`: the constants, then the defaults."""
    const = prep(model, constants or {})
    const.update(default_columns(model, [*columns, *const], now=now))
    return const


def _with_constants(
    model: type[models.Model], columns: Sequence[str], constants: dict[str, Any] | None, now: datetime
) -> tuple[list[str], list[Any]]:
    """Every column written (the given ones, then the constants, then the defaults of the rest)
    and the database values of the constants and defaults, in that order; less those the
    table's DEFAULT gives already (constant_defaults), which the server fills in itself."""
    const = _constant_columns(model, columns, constants, now)
    in_force = _in_force().get(model._meta.db_table)
    if in_force:
        const = {c: v for c, v in const.items() if c not in in_force or in_force[c] != v}
    return [*columns, *const], list(const.values())


def _in_force() -> dict[str, dict[str, Any]]:
    """table → {column: value}: the constants a bulk load has made its tables' DEFAULTs, kept on
    the connection that made them (the load's, which its writer thread shares): only a write in
    that transaction may count on them. Another connection of the process (another job, a
    request) sees no such default, and must give every column."""
    found: dict[str, dict[str, Any]] | None = getattr(connection, "gridgov_defaults_in_force", None)
    if found is None:
        found = {}
        setattr(connection, "gridgov_defaults_in_force", found)  # noqa: B010 (the thread's connection)
    return found


@contextmanager
def constant_defaults(
    model: type[models.Model], columns: Sequence[str], constants: dict[str, Any] | None, *, now: datetime
) -> Iterator[None]:
    """PostgreSQL, inside a bulk load's transaction (its tables locked): the columns that are the
    same in every row (the constants and the field defaults that insert_rows and insert_lines
    would add to each row) become the table's DEFAULT until the block ends, and the writes of
    the block leave them out of the COPY. Why: the server parsed two timestamps and four short
    texts of every row again and again, about 1 µs a row of a resident's 3.3 (docs/benchmarks-
    import.md). The DDL is transactional, as the rest of the load: the old defaults are put back
    before the commit, and a rollback takes the new ones back with everything else."""
    from psycopg import sql

    table = model._meta.db_table
    values = _constant_columns(model, columns, constants, now)
    raw = connection.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
            [table, list(values)],
        )
        before = dict(cursor.fetchall())
        sets = ", ".join(
            f"ALTER COLUMN {_quote(c)} SET DEFAULT {sql.Literal(v).as_string(raw)}" for c, v in values.items()
        )
        cursor.execute(f"ALTER TABLE {_quote(table)} {sets}")
    in_force = _in_force()
    in_force[table] = values
    try:
        yield
    finally:
        in_force.pop(table, None)
    # Left normally: the old defaults back (left by an exception, the rollback does it).
    undo = ", ".join(
        f"ALTER COLUMN {_quote(c)} DROP DEFAULT"
        if before.get(c) is None
        else f"ALTER COLUMN {_quote(c)} SET DEFAULT {before[c]}"
        for c in values
    )
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of the rows written would forbid the ALTER ("pending trigger
        # events"; in a bulk load the keys are set aside, elsewhere not): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"ALTER TABLE {_quote(table)} {undo}")


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    now: datetime,
    constants: dict[str, Any] | None = None,
) -> int:
    """Insert rows (tuples in the order of `columns`, database form) plus the same constants and
    defaults for every row; rows conflicting with a unique key are skipped. Returns the count
    written."""
    if not rows:
        return 0
    all_columns, const = _with_constants(model, columns, constants, now)
    tail = tuple(const)
    table = _quote(model._meta.db_table)
    names = ", ".join(_quote(c) for c in all_columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = _pg_types(cursor.cursor, model._meta.db_table, all_columns)
            send = _binary_copy(rows, tail, types)
            return _pg_write(cursor.cursor, table, names, model._meta.db_table, len(rows), send)
        marks = ", ".join(["%s"] * len(all_columns))
        cursor.executemany(
            f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
            [r + tail for r in rows],
        )
        return int(cursor.rowcount)


# COPY's text format: these four characters of a value are written as escapes, and NULL as \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def copy_escape(value: str) -> str:
    """A text value as COPY's text format writes it: the common value (printable, no backslash)
    as it is, tested by two C calls; isprintable() is False for a tab, a newline or a CR."""
    if value.isprintable() and "\\" not in value:
        return value
    return value.translate(_COPY_ESCAPES)


def copy_plain(values: Iterable[str]) -> bool:
    """Whether none of the values needs copy_escape: tested on all of them joined, one C pass
    for a whole batch, so that the common batch escapes nothing value by value."""
    joined = "".join(values)
    return joined.isprintable() and "\\" not in joined


def copy_value(value: Any) -> str:
    """A value in database form (as get_db_prep_save gives it) in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return copy_escape(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, (int, datetime, date)):
        return str(value)
    raise TypeError(f"no COPY text form for {type(value).__name__}: give it as text")


def insert_lines(
    model: type[models.Model],
    columns: Sequence[str],
    lines: Sequence[str],
    *,
    now: datetime,
    constants: dict[str, Any] | None = None,
) -> int:
    """PostgreSQL only: `insert_rows` for rows already encoded as lines of COPY's text format
    (the values of `columns` in order, tab-separated, escaped, each line without its newline),
    built where the rows were checked (a worker process: workers.py) so that this process only
    joins them. The constants and defaults are added to every line here, the same as
    insert_rows; the same savepoint and fallback for a twin written meanwhile."""
    if not lines:
        return 0
    all_columns, const = _with_constants(model, columns, constants, now)
    tail = "".join("\t" + copy_value(v) for v in const) + "\n"
    payload = (tail.join(lines) + tail).encode()
    table = _quote(model._meta.db_table)
    names = ", ".join(_quote(c) for c in all_columns)
    with connection.cursor() as cursor:
        return _pg_write(cursor.cursor, table, names, model._meta.db_table, len(lines), _text_copy(payload))


def _text_copy(payload: bytes) -> Callable[[Any, str, str], None]:
    def send(raw: Any, table: str, names: str) -> None:
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(payload)

    return send


def _pg_types(raw: Any, db_table: str, columns: Sequence[str]) -> list[int]:
    """The type OIDs of the columns, for binary COPY (one catalogue query per batch)."""
    raw.execute(
        "SELECT attname, atttypid::int FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [db_table],
    )
    oid_of = dict(raw.fetchall())
    return [oid_of[c] for c in columns]


def _binary_copy(
    rows: Sequence[tuple[Any, ...]], tail: tuple[Any, ...], types: list[int]
) -> Callable[[Any, str, str], None]:
    def send(raw: Any, table: str, names: str) -> None:
        with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            write = copy.write_row
            for r in rows:
                write(r + tail)

    return send


def _pg_write(
    raw: Any, table: str, names: str, db_table: str, count: int, send: Callable[[Any, str, str], None]
) -> int:
    """COPY straight into the table inside a savepoint: the caller has already left out every
    row whose key is in the database, so this is the common case and the fastest. Only when a
    twin appeared meanwhile (a unique violation) is the batch sent again the safe way: into a
    temporary table, then INSERT … ON CONFLICT DO NOTHING."""
    from psycopg import errors as pg_errors

    raw.execute("SAVEPOINT bulk_copy")
    try:
        send(raw, table, names)
    except pg_errors.UniqueViolation:
        raw.execute("ROLLBACK TO SAVEPOINT bulk_copy")
    else:
        raw.execute("RELEASE SAVEPOINT bulk_copy")
        return count
    tmp = _quote(f"bulk_{db_table}")
    raw.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
    send(raw, tmp, names)
    raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {tmp} ON CONFLICT DO NOTHING")  # noqa: S608
    written = int(raw.rowcount)
    raw.execute(f"DROP TABLE {tmp}")
    return written


def _text_array(values: Sequence[Any]) -> str:
    """The PostgreSQL text form of a text[]: every element double-quoted, \\ and " escaped."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def select_in(
    model: type[models.Model], column: str, values: Sequence[Any], wanted: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Rows (the `wanted` columns) whose `column` is one of values: one query on PostgreSQL
    (= ANY of an array), chunks under SQLite's limit on bound variables."""
    if not values:
        return []
    table = _quote(model._meta.db_table)
    cols = ", ".join(_quote(c) for c in wanted)
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if all(isinstance(v, str) for v in values):
                # One text literal of the array, cast by the server: psycopg would dump a
                # list element by element in Python (a sixth of a batch's lookups).
                cursor.execute(
                    f"SELECT {cols} FROM {table} WHERE {_quote(column)} = ANY(%s::text[])",  # noqa: S608
                    [_text_array(values)],
                )
            else:
                cursor.execute(
                    f"SELECT {cols} FROM {table} WHERE {_quote(column)} = ANY(%s)",  # noqa: S608
                    [list(values)],
                )
            return list(cursor.fetchall())
        for i in range(0, len(values), _MAX_SQLITE_VARS):
            chunk = values[i : i + _MAX_SQLITE_VARS]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {_quote(column)} IN ({marks})", list(chunk))  # noqa: S608
            out.extend(cursor.fetchall())
    return out
