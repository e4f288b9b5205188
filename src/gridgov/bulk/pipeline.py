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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from gridgov.accounts.scope import Scope, scope_for
from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import FileFormat, ImportMode, JobStatus, RegisterKind
from gridgov.bulk.models import ImportIssue, ImportJob
from gridgov.bulk.readers import RowSource
from gridgov.bulk.registers import HANDLERS, Handler, Issue, Prepared
from gridgov.bulk.resolve import Directory
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


def _check_all(job: ImportJob, handler: Handler, progress: Progress | None) -> bool:
    """All-or-nothing, first pass: every row checked, nothing written. True when all are valid."""
    total = errors = 0
    issues: list[Issue] = []
    for batch in _source(job).batches(job.batch_size):
        prepared = handler.prepare(batch)
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
        locked.batches_done += 1
        locked.imported_rows += written.rows
        locked.error_rows += prepared.error_rows + written.conflicts
        locked.ungridded_rows += written.ungridded
        locked.addresses_created += written.addresses_created
        if job.mode != ImportMode.ALL_OR_NOTHING:
            locked.total_rows = max(locked.total_rows, locked.imported_rows + locked.error_rows)
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


def import_job_run(
    job: ImportJob, *, progress: Progress | None = None, stop_after_batches: int | None = None
) -> ImportJob:
    """Run (or resume) a job to its end. stop_after_batches stops it after that many batches
    committed in this run, exactly as a kill between two batches would (a documented test
    hook: docs/import.md)."""
    if job.finished:
        return job
    now = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=job.started_at or now)
    job.refresh_from_db()
    directory = Directory(_scope(job))
    handler = _handler(job, directory)
    try:
        if job.mode == ImportMode.ALL_OR_NOTHING and not job.validated:
            if not _check_all(job, handler, progress):
                return job
            # The second pass meets every row again: forget the first pass's keys.
            handler = _handler(job, directory)
        skip = job.batches_done * job.batch_size
        with _writer() as pool:
            pending: Future[ImportJob] | None = None
            done_here = 0
            for batch in _source(job).batches(job.batch_size, skip_rows=skip):
                prepared: Prepared = handler.prepare(batch)
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
    except DomainError as exc:
        # A file-level problem (header, encoding, unreadable workbook): the job fails with the
        # reason, and the batches already committed stay (a valid-rows job).
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, finished_at=clock.now(), message=exc.message_zh
        )
        job.refresh_from_db()
        if exc.code == "job_busy":
            raise
    return job


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
