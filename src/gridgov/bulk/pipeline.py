"""Running an import job: the one code path of the CLI, the page's background task and the demo.

Valid-rows mode: batch by batch, each in one transaction that writes the batch's valid rows,
its issues, the job's counters and `batches_done`; a job stopped anywhere resumes at the first
batch not committed (`skip_rows`), and the unique keys (the ID number's blind index, the
address key, the credit code) with ON CONFLICT DO NOTHING make a batch written twice harmless.

All-or-nothing mode: the whole file is checked first without writing a row; if any row is bad
the job ends `rejected` with its error report and nothing written. Otherwise the rows are
written batch by batch as above (so a kill during writing resumes the same way).

On PostgreSQL (outside an enclosing transaction), the writing of batch n runs on a second
thread with its own connection while this thread prepares batch n+1: the client's checking,
sealing and placing overlap the server's index and foreign-key work, on two cores. A thread, not
a process: the write is mostly waiting on the server (psycopg releases the GIL there), and a
prepared batch (rows with their resolved communities) need not be pickled. At most one batch
is in flight and its transaction is still the batch's only one, so resuming is unchanged.

Bulk load (PostgreSQL, `load=rebuild`, or `auto` for a file large beside the register): the
whole write is one transaction that sets the tables' secondary indexes and foreign keys aside,
writes every batch, and builds them again before it commits (rebuild.py,
docs/decisions/0005-bulk-load.md). Nothing is committed batch by batch, so there is nothing to
resume: a run interrupted anywhere leaves the tables as they were, and the next run starts the
file over (a job that has committed batches incrementally is never switched to this path). The
job's counters, which the page polls, are written meanwhile on a second connection, outside the
load's transaction; `batches_done` only at the commit. Batch n is written by a thread on the
load's own connection while this thread prepares batch n+1 (_BulkWriter).

Workers (workers.py): for a large file the per-row checking of the batches runs in forked
worker processes, batches returned in file order; everything above (the writing, the
transactions, the progress) stays in this process and is the same either way.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from gridgov.accounts.scope import Scope, scope_for
from gridgov.bulk import rebuild
from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import FileFormat, ImportMode, JobStatus, LoadMode, RegisterKind
from gridgov.bulk.models import ImportIssue, ImportJob
from gridgov.bulk.readers import RowSource
from gridgov.bulk.registers import HANDLERS, Handler, Issue, Prepared, Written
from gridgov.bulk.resolve import Directory
from gridgov.bulk.sqlwrite import constant_defaults
from gridgov.bulk.workers import Checkers, workers_wanted
from gridgov.core import clock
from gridgov.core.errors import DomainError

log = logging.getLogger("gridgov.bulk")

# Issues kept per job: a file that is wrong throughout (the wrong register's file) needs only
# the first ones to be understood, and the counts still say how many rows failed.
MAX_ISSUES = 100_000

Progress = Callable[[ImportJob], None]


class Stopped(Exception):
    """Raised by the stop hook (stop_after_batches): the job is left as a killed run leaves it."""


def _scope(job: ImportJob) -> Scope:
    from gridgov.accounts.enums import ScopeKind

    if job.actor is None:
        return Scope(kind=ScopeKind.EVERYTHING)
    return scope_for(job.actor)


def _handler(job: ImportJob, directory: Directory) -> Handler:
    cls = HANDLERS[RegisterKind(job.register)]
    return cls(
        directory=directory,
        actor=job.actor,
        job_id=str(job.pk),
        source=job.source,
        now=clock.now(),
    )


def _save_issues(job: ImportJob, issues: list[Issue]) -> None:
    room = MAX_ISSUES - job.issues.count() if len(issues) else 0
    if room <= 0:
        return
    ImportIssue.objects.bulk_create(
        [
            ImportIssue(
                job=job, row=i.row, column=i.column, value=i.value, code=i.code, message=i.message[:300]
            )
            for i in issues[:room]
        ],
        batch_size=5000,
    )


def _source(job: ImportJob) -> RowSource:
    return RowSource(Path(job.local_path()), FileFormat(job.file_format), columns_for(job.register))


def _claim(job: ImportJob, expected_batches: int) -> ImportJob:
    """The job row, locked for this batch's transaction; a second runner of the same job that
    got here first has moved batches_done on, and this one stops."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.batches_done != expected_batches or locked.finished:
        raise DomainError(
            "该导入任务正由另一个进程执行", "this import job is being run by another process", code="job_busy"
        )
    return locked


def _prepared(
    handler: Handler, source: RowSource, size: int, checkers: Checkers | None, skip_rows: int = 0
) -> Iterator[Prepared]:
    """The batches prepared in order: checked here, or by the worker processes (workers.py)
    while this process finishes the batches they have returned. The workers are sent the file's
    lines as bytes when the file allows (RowSource.line_batches): then they cut the cells
    themselves, and this process neither parses nor pickles them."""
    if checkers is None:
        for batch in source.batches(size, skip_rows=skip_rows):
            yield handler.prepare(batch)
        return
    lines = source.line_batches(size, skip_rows=skip_rows)
    batches = lines if lines is not None else source.batches(size, skip_rows=skip_rows)
    for checked in checkers.checked(batches):
        yield handler.prepare_checked(checked)


def _check_all(
    job: ImportJob, handler: Handler, progress: Progress | None, checkers: Checkers | None
) -> bool:
    """All-or-nothing, first pass: every row checked, nothing written. True when all are valid."""
    total = errors = 0
    issues: list[Issue] = []
    for prepared in _prepared(handler, _source(job), job.batch_size, checkers):
        total += prepared.seen_rows
        errors += prepared.error_rows
        if len(issues) < MAX_ISSUES:
            issues.extend(prepared.issues)
        job.total_rows = max(job.total_rows, total)
        if progress is not None:
            progress(job)
    with transaction.atomic():
        job.total_rows = total
        job.error_rows = errors
        if errors:
            _save_issues(job, issues)
            job.status = JobStatus.REJECTED
            job.finished_at = clock.now()
            job.message = f"共 {total} 行,其中 {errors} 行有错误;按“全部有效才导入”方式,未导入任何数据"
        else:
            job.validated = True
        job.save()
    return not errors


def _write_batch(job: ImportJob, handler: Handler, prepared: Prepared) -> ImportJob:
    """One batch's transaction: claim the job, write the rows, its issues and the counters."""
    with transaction.atomic():
        locked = _claim(job, job.batches_done)
        written = handler.write(prepared)
        _save_issues(locked, prepared.issues)
        _count_batch(locked, prepared, written)
        locked.save()
    return locked


def _close_connection() -> None:
    connection.close()  # resolved in the calling thread: closes that thread's connection


@contextmanager
def _writer() -> Iterator[ThreadPoolExecutor | None]:
    """The writer thread when the batches may overlap: PostgreSQL (the second connection sees
    what this one committed), and not inside an enclosing transaction (whose uncommitted rows
    the second connection could not see: tests, a caller's atomic block)."""
    overlap = getattr(settings, "GRIDGOV_BULK_OVERLAP", True)  # off: bench/import_residents.py --serial
    if not overlap or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")
    try:
        yield pool
    finally:
        pool.submit(_close_connection).result()  # the writer thread's own connection
        pool.shutdown(wait=True)


# auto: a bulk load when the file has at least this many rows and at least this share of the
# rows already in the register's table. Below the first, index upkeep is seconds at most; the
# second is where building the indexes over the whole table again costs less than keeping them
# row by row (about 25 µs a row of the table against 90 µs a row of the file: measured in
# docs/benchmarks-import.md) — and a load that small beside the register is not worth locking it.
REBUILD_MIN_ROWS = 100_000
REBUILD_MIN_SHARE = 0.5


def load_unavailable(register: str, load: str, *, batches_done: int = 0) -> str:
    """Why a forced bulk load cannot run here ("" when it can)."""
    if load != LoadMode.REBUILD:
        return ""
    if connection.vendor != "postgresql":
        return "整体装载(--load rebuild)只用于 PostgreSQL / --load rebuild is for PostgreSQL only"
    if batches_done:
        return (
            f"该任务已逐批提交了 {batches_done} 批,只能逐批继续;或用 --new 重新开始"
            f" / this job has committed {batches_done} batch(es) incrementally: resume it without"
            " --load rebuild, or start over with --new"
        )
    return ""


def load_chosen(job: ImportJob, load: str) -> LoadMode:
    """The way this run writes: see REBUILD_MIN_ROWS."""
    if load == LoadMode.INCREMENTAL or connection.vendor != "postgresql" or job.batches_done:
        return LoadMode.INCREMENTAL
    if load == LoadMode.REBUILD:
        return LoadMode.REBUILD
    if job.total_rows < REBUILD_MIN_ROWS:
        return LoadMode.INCREMENTAL
    table = HANDLERS[RegisterKind(job.register)].model._meta.db_table
    if job.total_rows >= REBUILD_MIN_SHARE * rebuild.table_rows(table):
        return LoadMode.REBUILD
    return LoadMode.INCREMENTAL


def import_job_run(
    job: ImportJob,
    *,
    progress: Progress | None = None,
    stop_after_batches: int | None = None,
    load: str = LoadMode.AUTO,
    workers: int | None = None,
) -> ImportJob:
    """Run (or resume) a job to its end. stop_after_batches stops it after that many batches
    committed in this run, exactly as a kill between two batches would (a documented test
    hook: docs/import.md; in a bulk load, after that many batches written, rolling it all
    back as a kill would). workers: the processes that check the batches (workers.py; None:
    one per core for a large file, 1: all in this process)."""
    if job.finished:
        return job
    now = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=job.started_at or now)
    job.refresh_from_db()
    directory = Directory(_scope(job))
    handler = _handler(job, directory)
    checkers: Checkers | None = None
    gc_was_on = gc.isenabled()
    # The job keeps millions of small objects alive (its rows in flight, the file's keys, the
    # normal forms it remembers): the cyclic collector, run every few hundred allocations, went
    # through them again and again, half the importer's CPU (docs/benchmarks-import.md). The
    # job's objects are freed by their reference counts; it makes no cycles worth collecting.
    # Off for the job (and so in the workers forked during it), back on at its end.
    gc.disable()
    try:
        count = workers_wanted(workers, job.total_rows - job.batches_done * job.batch_size)
        if count > 1:
            # Forked first, before the writer and progress threads exist.
            checkers = Checkers(handler, count)
        return _run(job, handler, directory, progress, stop_after_batches, load, checkers)
    except DomainError as exc:
        # A file-level problem (header, encoding, unreadable workbook, a failed check worker):
        # the job fails with the reason, and the batches already committed stay (a valid-rows
        # job; a bulk load has rolled back).
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, finished_at=clock.now(), message=exc.message_zh
        )
        job.refresh_from_db()
        if exc.code == "job_busy":
            raise
        return job
    finally:
        if checkers is not None:
            checkers.close()
        if gc_was_on:
            gc.enable()


def _run(
    job: ImportJob,
    handler: Handler,
    directory: Directory,
    progress: Progress | None,
    stop_after_batches: int | None,
    load: str,
    checkers: Checkers | None,
) -> ImportJob:
    try:
        if job.mode == ImportMode.ALL_OR_NOTHING and not job.validated:
            if not _check_all(job, handler, progress, checkers):
                return job
            # The second pass meets every row again: forget the first pass's keys (the workers
            # keep the first handler: what they use of it holds nothing of the rows).
            handler = _handler(job, directory)
        if load_chosen(job, load) == LoadMode.REBUILD:
            return _run_bulk_load(job, handler, progress, stop_after_batches, checkers)
        skip = job.batches_done * job.batch_size
        with _writer() as pool:
            pending: Future[ImportJob] | None = None
            done_here = 0
            for prepared in _prepared(handler, _source(job), job.batch_size, checkers, skip):
                if pending is not None:
                    job = pending.result()  # batch n committed (or its error raised here)
                    pending = None
                    done_here += 1
                    _after_batch(job, done_here, progress, stop_after_batches)
                if pool is None:
                    job = _write_batch(job, handler, prepared)
                    done_here += 1
                    _after_batch(job, done_here, progress, stop_after_batches)
                else:
                    pending = pool.submit(_write_batch, job, handler, prepared)
            if pending is not None:
                job = pending.result()
                done_here += 1
                _after_batch(job, done_here, progress, stop_after_batches)
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            job.status = JobStatus.DONE
            job.finished_at = clock.now()
            job.total_rows = job.imported_rows + job.error_rows
            job.message = f"共 {job.total_rows} 行:导入 {job.imported_rows} 行,错误 {job.error_rows} 行"
            job.save()
    except Stopped:
        job.refresh_from_db()
        return job
    return job


COUNTERS = ("total_rows", "imported_rows", "error_rows", "ungridded_rows", "addresses_created")


class _SideChannel:
    """Updates of the job row on a connection of its own (a thread's), each committed at once,
    so the page sees the counters of a load whose transaction is still open. Inside an enclosing
    transaction (tests, a caller's atomic) nobody outside could see the job anyway: posts are
    dropped."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.pool = (
            None
            if connection.in_atomic_block
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-progress")
        )
        self.pending: list[Future[Any]] = []

    def post(self, **fields: Any) -> None:
        if self.pool is None:
            return
        job_id = self.job_id
        self.pending = [f for f in self.pending if not f.done()]
        self.pending.append(self.pool.submit(lambda: ImportJob.objects.filter(pk=job_id).update(**fields)))

    def flush(self) -> None:
        """Wait for the posts sent: none may land after the load's own update of the job."""
        for f in self.pending:
            f.result()
        self.pending = []

    def close(self) -> None:
        if self.pool is not None:
            self.flush()
            self.pool.submit(_close_connection).result()
            self.pool.shutdown(wait=True)


def _run_bulk_load(
    job: ImportJob,
    handler: Handler,
    progress: Progress | None,
    stop_after_batches: int | None,
    checkers: Checkers | None,
) -> ImportJob:
    """The whole file in one transaction with the indexes set aside (rebuild.py)."""
    tables = handler.tables()
    side = _SideChannel(job.pk)
    # A run interrupted before showed counters that its rollback took back: start at zero.
    zero = {c: 0 for c in COUNTERS if c != "total_rows"}
    try:
        side.post(**zero, message="")
        for name, value in zero.items():
            setattr(job, name, value)
        with transaction.atomic():
            rebuild.lock(tables)
            # Another runner of this job may have held the lock until it committed the job.
            current = ImportJob.objects.get(pk=job.pk)
            if current.finished or current.batches_done:
                return current
            fresh = {t for t in tables if rebuild.is_empty(t)}
            handler.bulk_load(fresh=fresh)
            rebuilding = "正在重建索引 / rebuilding the indexes"
            with (
                rebuild.indexes_set_aside(
                    tables, fresh=fresh, on_rebuild=lambda: side.post(message=rebuilding)
                ),
                ExitStack() as defaults,
                _BulkWriter(job, handler) as writer,
            ):
                for model, columns, constants in handler.bulk_writes():
                    defaults.enter_context(constant_defaults(model, columns, constants, now=handler.now))
                done_here = 0
                # Batch n+1 is prepared (by this generator) while batch n is being written.
                batches = _prepared(handler, _source(job), job.batch_size, checkers)
                for prepared in itertools.chain(batches, [None]):  # None: wait for the last
                    finished = writer.write(prepared)
                    if finished is not None:
                        done_here += 1
                        _count_batch(job, *finished)
                        side.post(**{c: getattr(job, c) for c in COUNTERS})
                        _after_batch(job, done_here, progress, stop_after_batches)
            side.flush()
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            for name in (*COUNTERS, "batches_done"):
                setattr(locked, name, getattr(job, name))
            locked.status = JobStatus.DONE
            locked.finished_at = clock.now()
            locked.total_rows = locked.imported_rows + locked.error_rows
            locked.message = (
                f"共 {locked.total_rows} 行:导入 {locked.imported_rows} 行,错误 {locked.error_rows} 行"
                "(整体装载,索引已重建)"
            )
            locked.save()
        return locked
    except Stopped:
        raise  # left as a kill leaves it
    except BaseException:
        # Rolled back: what the counters showed is not in the database.
        side.post(**zero)
        raise
    finally:
        side.close()


class _BulkWriter:
    """The writing of a bulk load's batches on a thread, on the load's own connection, so the
    server's COPY of batch n runs while this thread prepares batch n+1 (with the workers, the
    main process's part of it): on two cores, the server no longer waits on the client nor the
    client on the server. One connection, one transaction: Django is told the connection is
    shared (inc_thread_sharing) and the writer thread is given it as its default connection.
    This thread does nothing with the database while a batch is being written: the handler's
    `settle` (called before any lookup in prepare_checked) waits for that batch first, and the
    next batch is only handed over once the one before is done. `write(prepared)` hands over a
    batch and returns the one before it, written — (prepared, Written) — or None; `write(None)`
    waits for the last. Off with the setting GRIDGOV_BULK_OVERLAP (bench --serial): written in
    this thread, in turn."""

    def __init__(self, job: ImportJob, handler: Handler):
        self.job = job
        self.handler = handler
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pool: ThreadPoolExecutor | None = None
        self.pending: tuple[Prepared, Future[Written]] | None = None

    def __enter__(self) -> _BulkWriter:
        if getattr(settings, "GRIDGOV_BULK_OVERLAP", True):
            self.conn.inc_thread_sharing()
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-load-writer")
            self.handler.settle = self.settle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is None:
            return
        self.settle()  # never leave the transaction with a batch still being written
        self.pool.shutdown(wait=True)
        self.handler.settle = lambda: None
        self.conn.dec_thread_sharing()

    def _write(self, prepared: Prepared) -> Written:
        connections[DEFAULT_DB_ALIAS] = self.conn  # this thread's default: the load's connection
        written = self.handler.write(prepared)
        _save_issues(self.job, prepared.issues)
        return written

    def settle(self) -> None:
        if self.pending is not None:
            wait([self.pending[1]])

    def write(self, prepared: Prepared | None) -> tuple[Prepared, Written] | None:
        if self.pool is None:
            return None if prepared is None else (prepared, self._write(prepared))
        done = None
        if self.pending is not None:
            before, future = self.pending
            self.pending = None
            done = (before, future.result())  # raises here what the writing raised
        if prepared is not None:
            self.pending = (prepared, self.pool.submit(self._write, prepared))
        return done


def _count_batch(job: ImportJob, prepared: Prepared, written: Written) -> None:
    """A batch written: the job's counters moved on (not saved)."""
    job.batches_done += 1
    job.imported_rows += written.rows
    job.error_rows += prepared.error_rows + written.conflicts
    job.ungridded_rows += written.ungridded
    job.addresses_created += written.addresses_created
    if job.mode != ImportMode.ALL_OR_NOTHING:
        job.total_rows = max(job.total_rows, job.imported_rows + job.error_rows)


def _after_batch(
    job: ImportJob, done_here: int, progress: Progress | None, stop_after_batches: int | None
) -> None:
    if progress is not None:
        progress(job)
    if stop_after_batches is not None and done_here >= stop_after_batches:
        raise Stopped


def job_counts(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "total_rows": job.total_rows,
        "imported_rows": job.imported_rows,
        "error_rows": job.error_rows,
        "ungridded_rows": job.ungridded_rows,
        "addresses_created": job.addresses_created,
        "batches_done": job.batches_done,
        "message": job.message,
    }
