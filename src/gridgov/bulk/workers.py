"""Checking batches on several cores: the per-row part of `prepare` (Handler.check_batch: the
checks, check digits and phones, the address's normal form and key, the grid by coordinates,
the sealing) in worker processes, while the main process keeps everything that needs state
across batches or the database (twins within the file and in the database, the addresses'
ids, the writing, the job's progress: Handler.prepare_checked and after).

The workers are forked (the `fork` start method) when the job starts, before any other thread
of the job exists: they inherit the loaded Django, the key ring, the handler with its directory
and the grid layer the main process holds, so nothing of that is pickled. They must not touch
the database: the connections they inherit are left alone (closing one would end the parent's
session: libpq says goodbye to the server) and any attempt to use one raises. Under
`gridgov worker` the process also has its housekeeping thread (notify/worker.py): a fork copies
only the forking thread, and a worker uses nothing that thread may hold at that moment (its
connection, the logging locks: a worker logs nothing).

What travels: out, a batch as the file's lines (bytes: readers.LineBatch, for a plain CSV, the
worker cuts the cells) or as its cells (any other file); back, the batch's Checked: its bad
rows' issues and its valid rows as columns (registers.Rows), exactly what check_batch gives in
the main process. On PostgreSQL those columns include each row and each address it would
create already encoded as COPY text (Handler.encode_addresses, encode_rows), so the main
process neither encodes nor sends value by value. Batches come back in order; at most
`workers + 1` are in flight, to bound memory.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings
from django.db import connections

from gridgov.bulk.readers import Batch, LineBatch
from gridgov.bulk.registers import Checked, Handler
from gridgov.core.errors import DomainError
from gridgov.geo.index import current_layer

log = logging.getLogger("gridgov.bulk")

# Below this many rows left to prepare, forking costs more than it brings: the job checks its
# batches in its own process (and so do the tests, unless they ask for workers).
WORKERS_MIN_ROWS = 40_000


def workers_wanted(asked: int | None, rows_left: int) -> int:
    """How many processes check the batches: `asked` (the --workers flag) when given, else the
    setting GRIDGOV_BULK_WORKERS, else one per core, for a file of WORKERS_MIN_ROWS rows or more."""
    if asked is not None:
        return max(1, asked)
    if rows_left < WORKERS_MIN_ROWS:
        return 1
    configured = getattr(settings, "GRIDGOV_BULK_WORKERS", None)
    return max(1, int(configured) if configured is not None else (os.cpu_count() or 1))


class WorkerFailed(Exception):
    """An exception in a worker, carried back as text (a DomainError's own arguments would not
    survive the pickling)."""


_handler: Handler | None = None


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("a bulk import worker must not use the database")


def _start(handler: Handler) -> None:
    """In the forked worker: the inherited handler, and no database."""
    global _handler
    _handler = handler
    for alias in connections:
        conn = connections[alias]
        # Kept referenced (not closed, not dropped: either would end the parent's session), and
        # refused for any use.
        conn.ensure_connection = _refuse  # type: ignore[method-assign]
        conn.connect = _refuse  # type: ignore[method-assign]


def _ready() -> int:
    return os.getpid()


def _check(batch: Batch | LineBatch) -> Checked:
    """In the worker: one batch (cut from its lines here when it comes as the file's bytes)
    through check_batch; its valid rows go back as columns (registers.Rows), pickled once."""
    assert _handler is not None
    try:
        return _handler.check_batch(batch.batch() if isinstance(batch, LineBatch) else batch)
    except Exception as exc:
        raise WorkerFailed(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}") from None


class Checkers:
    """The worker processes of one job. `checked(batches)` gives the batches' Checked in order."""

    def __init__(self, handler: Handler, workers: int):
        self.workers = workers
        # The layer the workers place points in, loaded here (a worker may not read it).
        handler.layer = current_layer()
        # No connection crosses the fork when we can help it; inside a transaction (tests, a
        # caller's atomic block) the connection stays, and the workers leave it alone.
        if not any(c.in_atomic_block for c in connections.all(initialized_only=True)):
            connections.close_all()
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start,
            initargs=(handler,),
        )
        # Fork them all now, while the job has no other thread (a fork copies held locks).
        for f in [self.pool.submit(_ready) for _ in range(workers)]:
            f.result()

    def checked(self, batches: Iterable[Batch | LineBatch]) -> Iterator[Checked]:
        in_flight: deque[tuple[Batch | LineBatch, Future[Checked]]] = deque()
        source = iter(batches)
        depth = self.workers + 1
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < depth:
                batch = next(source, None)
                if batch is None:
                    exhausted = True
                    break
                in_flight.append((batch, self.pool.submit(_check, batch)))
            if not in_flight:
                return
            batch, future = in_flight.popleft()
            try:
                checked = future.result()
            except (WorkerFailed, BrokenProcessPool) as exc:
                log.error("import worker failed on rows %s+: %s", batch.first_row, exc)
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                held = batch.lines if isinstance(batch, LineBatch) else len(batch.rows)
                last = batch.first_row + held - 1
                raise DomainError(
                    f"检查第 {batch.first_row}–{last} 行时出错,未完成导入:{first_line}",
                    f"checking rows {batch.first_row}-{last} failed; the import did not finish: {first_line}",
                    code="check_failed",
                ) from exc
            if isinstance(batch, LineBatch) and batch.last and not checked.seen_rows:
                # Only blank lines after the last row: RowSource.batches gives no such batch.
                continue
            yield checked

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
