"""Bulk import and export over the JSON API (/api/v1/bulk/): thin, the work is in services,
pipeline and exporting (docs/import.md)."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.bulk import selectors
from gridgov.bulk.enums import FileFormat, ImportMode
from gridgov.bulk.exporting import export_write
from gridgov.bulk.pipeline import job_counts
from gridgov.bulk.report import error_report_write
from gridgov.bulk.services import import_job_create
from gridgov.core import clock
from gridgov.core.errors import InvalidInput

router = Router(tags=["bulk"])

TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _format(fmt: str) -> FileFormat:
    try:
        return FileFormat(fmt)
    except ValueError:
        raise InvalidInput("格式应为 csv 或 xlsx", "format must be csv or xlsx") from None


@router.post("/imports", response={201: dict})
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: str = Form(..., alias="register"),
    mode: str = Form(ImportMode.ALL_OR_NOTHING.value),
) -> Status:
    """Queue an import of a CSV or XLSX file; poll GET /imports/{id} for its progress."""
    from gridgov.bulk.tasks import run_import

    with transaction.atomic():
        job = import_job_create(actor=request.user, register=kind, mode=mode, now=clock.now(), upload=file)
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return Status(201, job_counts(job))


@router.get("/imports", response=list[dict])
def list_imports(request: HttpRequest) -> list[dict[str, Any]]:
    return [job_counts(j) for j in selectors.jobs_visible(request.user)[:100]]


@router.get("/imports/{job_id}", response=dict)
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_counts(selectors.job_for(request.user, job_id))


class IssuesQuery(Schema):
    offset: int = 0
    limit: int = 100


@router.get("/imports/{job_id}/issues", response=dict)
def import_issues(request: HttpRequest, job_id: int, q: Query[IssuesQuery]) -> dict[str, Any]:
    job = selectors.job_for(request.user, job_id)
    limit = max(1, min(q.limit, 1000))
    qs = job.issues.order_by("row", "id")
    return {
        "count": qs.count(),
        "items": list(qs.values("row", "column", "value", "code", "message")[q.offset : q.offset + limit]),
    }


@router.get("/imports/{job_id}/report.{fmt}")
def import_report(request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
    job = selectors.job_for(request.user, job_id)
    form = _format(fmt)
    buf = io.BytesIO()
    error_report_write(job, form, buf)
    response = HttpResponse(buf.getvalue(), content_type=TYPES[form])
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.{form.value}"'
    return response


class ExportQuery(Schema):
    unmask: bool = False
    reason: str = ""
    region: str = ""


@router.get("/export/{name}.{fmt}")
def export_register(request: HttpRequest, name: str, fmt: str, q: Query[ExportQuery]) -> HttpResponse:
    """A register as CSV or XLSX, scoped; masked unless unmask=true with a reason (audited)."""
    form = _format(fmt)
    buf = io.BytesIO()
    export_write(
        name,
        user=request.user,
        fmt=form,
        out=buf,
        unmask=q.unmask,
        reason=q.reason,
        region_code=q.region,
        request=request,
    )
    response = HttpResponse(buf.getvalue(), content_type=TYPES[form])
    response["Content-Disposition"] = f'attachment; filename="{name}.{form.value}"'
    return response
