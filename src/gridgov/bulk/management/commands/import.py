"""`gridgov import <register> FILE`: import a CSV or XLSX file into a register.

Run again after an interruption, the same command continues the unfinished job of the same
file (by content), register, mode and user from its last committed batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.accounts.models import User
from gridgov.bulk.enums import ImportMode, JobStatus, LoadMode, RegisterKind
from gridgov.bulk.models import ImportJob
from gridgov.bulk.pipeline import import_job_run, load_unavailable
from gridgov.bulk.report import error_report_write
from gridgov.bulk.services import DEFAULT_BATCH, import_job_create, import_job_resumable
from gridgov.core import clock
from gridgov.core.errors import DomainError


class Command(BaseCommand):
    help = "导入登记簿数据 / Import a CSV or XLSX file into a register (residents, addresses, houses, …)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("register", choices=[k.value for k in RegisterKind])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mode",
            choices=[m.value for m in ImportMode],
            default=ImportMode.ALL_OR_NOTHING.value,
            help="all_or_nothing (default): nothing is written unless every row is valid; "
            "valid_rows: write the valid rows, report the others",
        )
        parser.add_argument("--user", default="", help="import as this user (scope); default: the system")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
        parser.add_argument(
            "--errors", type=Path, default=None, help="write the error report here (.csv/.xlsx)"
        )
        parser.add_argument("--new", action="store_true", help="start a new job even if one can be resumed")
        parser.add_argument(
            "--load",
            choices=[m.value for m in LoadMode],
            default=LoadMode.AUTO.value,
            help="auto (default): a bulk load with the indexes rebuilt when the file is large beside "
            "the register (PostgreSQL); incremental: batch by batch, each committed; rebuild: force "
            "the bulk load (locks the tables until it ends; docs/import.md)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes that check the rows (default: one per core for a file of 40,000 rows or "
            "more, else 1; 1: all in this process; docs/import.md)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        # Test hook (docs/import.md): stop after N committed batches, as a kill would.
        parser.add_argument(
            "--stop-after-batches", type=int, default=None, help="testing: stop after N batches"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = None
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"没有用户 {opts['user']} / no such user")
        path: Path = opts["file"]
        refused = load_unavailable(opts["register"], opts["load"])
        if refused:
            raise CommandError(refused)
        try:
            job = (
                None
                if opts["new"]
                else import_job_resumable(
                    actor=actor, register=opts["register"], mode=opts["mode"], path=path
                )
            )
            if job is not None:
                refused = load_unavailable(opts["register"], opts["load"], batches_done=job.batches_done)
                if refused:
                    raise CommandError(refused)
                self.stdout.write(
                    f"继续导入任务 #{job.pk}(已提交 {job.batches_done} 批,{job.imported_rows} 行)"
                    f" / resuming job #{job.pk} after {job.batches_done} batch(es)"
                )
            else:
                job = import_job_create(
                    actor=actor,
                    register=opts["register"],
                    mode=opts["mode"],
                    now=clock.now(),
                    path=path,
                    batch_size=opts["batch_size"],
                )
            job = self._run(job, opts)
        except DomainError as exc:
            raise CommandError(exc.as_dict()["message"]) from exc
        if opts["errors"] is not None and job.issues.exists():
            fmt = "xlsx" if opts["errors"].suffix.lower() == ".xlsx" else "csv"
            with open(opts["errors"], "wb") as fh:
                error_report_write(job, fmt, fh)
            self.stdout.write(f"错误报告 / error report: {opts['errors']}")
        self.stdout.write(f"#{job.pk} {job.get_status_display()}: {job.message}")
        if job.status in (JobStatus.REJECTED, JobStatus.FAILED):
            raise CommandError(f"导入未完成 / import not done: {job.get_status_display()}")

    def _run(self, job: ImportJob, opts: dict[str, Any]) -> ImportJob:
        if opts["quiet"]:
            return import_job_run(
                job, stop_after_batches=opts["stop_after_batches"], load=opts["load"], workers=opts["workers"]
            )
        from tqdm import tqdm

        bar = tqdm(total=job.total_rows or None, unit="行", initial=job.processed_rows, dynamic_ncols=True)

        def progress(j: ImportJob) -> None:
            bar.total = max(bar.total or 0, j.total_rows)
            bar.n = j.processed_rows if j.validated or j.mode != ImportMode.ALL_OR_NOTHING else j.total_rows
            bar.set_postfix(导入=j.imported_rows, 错误=j.error_rows, refresh=False)
            bar.refresh()

        try:
            return import_job_run(
                job,
                progress=progress,
                stop_after_batches=opts["stop_after_batches"],
                load=opts["load"],
                workers=opts["workers"],
            )
        finally:
            bar.close()
