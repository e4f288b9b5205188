"""Writers of the bulk domain: creating and resuming import jobs. The rows themselves are
written by pipeline.import_job_run."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import scope_for
from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import FileFormat, ImportMode, JobStatus, RegisterKind
from gridgov.bulk.models import ImportJob
from gridgov.bulk.readers import RowSource, check_size, sniff_format
from gridgov.core.errors import Forbidden, InvalidInput
from gridgov.core.files import kept_with
from gridgov.registry.enums import DataSource

DEFAULT_BATCH = 20_000


def check_may_import(actor: Any) -> None:
    """Importing writes into a territory: a centre user its subtree, a grid worker its grids.
    A department user has no territory of its own to fill."""
    if actor is None:
        return
    scope = scope_for(actor)
    if scope.kind in (ScopeKind.NOTHING, ScopeKind.DEPARTMENT) or scope.nothing:
        raise Forbidden("您没有导入登记簿数据的权限(无辖区)", "you have no area to import register data into")


def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parse(register: str, mode: str) -> tuple[RegisterKind, ImportMode]:
    try:
        kind = RegisterKind(register)
    except ValueError:
        raise InvalidInput(
            f"未知的登记簿:{register}", f"unknown register {register!r}", code="bad_register"
        ) from None
    try:
        how = ImportMode(mode)
    except ValueError:
        raise InvalidInput(
            f"未知的导入方式:{mode}", f"unknown import mode {mode!r}", code="bad_mode"
        ) from None
    return kind, how


def import_job_create(
    *,
    actor: Any,
    register: str,
    mode: str,
    now: datetime,
    upload: UploadedFile | None = None,
    path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    source: DataSource = DataSource.IMPORTED,
    size_limit: int | None = None,
) -> ImportJob:
    """A queued job for a file uploaded through the page (kept under MEDIA_ROOT) or lying on
    the server (the CLI, the demo). The file's type, size and header are checked here, so a
    wrong file is refused at once with nothing queued."""
    kind, how = _parse(register, mode)
    check_may_import(actor)
    if not 100 <= batch_size <= 200_000:
        raise InvalidInput("批大小应在 100 到 200000 之间", "batch size must be 100-200000")
    if (upload is None) == (path is None):
        raise InvalidInput("须提供一个文件", "give exactly one file")
    if upload is not None:
        name = upload.name or "upload"
        if size_limit is not None:
            check_size(upload.size or 0, limit=size_limit)
        else:
            check_size(upload.size or 0)
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        fmt = sniff_format(name, head)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        sha = digest.hexdigest()
    else:
        assert path is not None
        if not path.is_file():
            raise InvalidInput(f"找不到文件:{path}", f"no such file: {path}")
        name = path.name
        check_size(path.stat().st_size, limit=1 << 62)
        with open(path, "rb") as fh:
            fmt = sniff_format(name, fh.read(8192))
        sha = _sha256_of(path)
    # kept_with: a file whose header check fails below is removed again with the job's rollback.
    with kept_with() as store, transaction.atomic():
        job = ImportJob(
            actor=actor,
            register=kind,
            mode=how,
            status=JobStatus.QUEUED,
            file_name=name[:255],
            file_format=fmt,
            file_sha256=sha,
            batch_size=batch_size,
            source=source,
            created_at=now,
        )
        if upload is not None:
            store(job.file, upload, Path(name).name[-100:] or "upload")
        else:
            job.path = str(path.resolve()) if path is not None else ""
        # The header is checked before anything is queued: a wrong file fails fast.
        RowSource(Path(job.local_path()), FileFormat(fmt), columns_for(kind)).header_check()
        job.total_rows = estimate_rows(Path(job.local_path()), FileFormat(fmt))
        job.save()
    return job


def import_job_resumable(*, actor: Any, register: str, mode: str, path: Path) -> ImportJob | None:
    """The unfinished job of the same person, register, mode and file content, if one was
    interrupted: running it again continues it instead of starting over."""
    if not path.is_file():
        return None
    sha = _sha256_of(path)
    return (
        ImportJob.objects.filter(
            actor=actor,
            register=register,
            mode=mode,
            file_sha256=sha,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        )
        .order_by("-created_at", "-id")
        .first()
    )


def estimate_rows(path: Path, fmt: FileFormat) -> int:
    """The data rows the file holds, for the progress bar (exact for CSV without quoted line
    breaks; the sheet's declared size for XLSX)."""
    if fmt == FileFormat.XLSX:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return max(0, (book.worksheets[0].max_row or 1) - 1)
        finally:
            book.close()
    lines = 0
    last = b"\n"
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)
