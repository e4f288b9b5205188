"""Pages of bulk import and export: thin, the work is in services, pipeline and exporting."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import Any, cast

import shapely
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.models import User
from gridgov.accounts.scope import grids_visible
from gridgov.bulk import selectors
from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import FileFormat, ImportMode, RegisterKind
from gridgov.bulk.exporting import export_write
from gridgov.bulk.report import error_report_write, template_write
from gridgov.bulk.services import check_may_import, import_job_create
from gridgov.core import clock
from gridgov.core.errors import DomainError, NotFound
from gridgov.registry.permissions import may_unmask

CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _format(fmt: str) -> FileFormat:
    try:
        return FileFormat(fmt)
    except ValueError:
        raise Http404("格式应为 csv 或 xlsx") from None


def _register(register: str) -> RegisterKind:
    try:
        return RegisterKind(register)
    except ValueError:
        raise Http404("未知的登记簿") from None


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = _user(request)
    jobs = Paginator(selectors.jobs_visible(user), 20).get_page(request.GET.get("page"))
    may_import = True
    try:
        check_may_import(user)
    except DomainError:
        may_import = False
    return {
        "registers": [{"value": k.value, "label": k.label, "columns": columns_for(k)} for k in RegisterKind],
        "modes": list(ImportMode),
        "jobs": jobs,
        "may_import": may_import,
        "may_unmask": may_unmask(user),
        **extra,
    }


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "bulk/index.html", _context(request))


@login_required
@require_GET
def template_download(request: HttpRequest, register: str, fmt: str) -> HttpResponse:
    kind, form = _register(register), _format(fmt)
    # The example row names a place in the downloader's own area (a grid's community and a
    # point inside it), so the example imports as it is.
    grid = grids_visible(_user(request)).select_related("community").order_by("code").first()
    place: dict[str, str] = {}
    if grid is not None:
        point = shapely.geometry.shape(grid.boundary).representative_point()
        place = {"community": grid.community.code, "lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}"}
    buf = io.BytesIO()
    template_write(kind, form, buf, place=place)
    response = HttpResponse(buf.getvalue(), content_type=CONTENT_TYPES[form])
    response["Content-Disposition"] = f'attachment; filename="template-{kind.value}.{form.value}"'
    return response


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    from gridgov.bulk.tasks import run_import

    user = _user(request)
    file = request.FILES.get("file")
    try:
        if file is None:
            raise DomainError("请选择要上传的文件", "choose a file to upload", code="no_file")
        with transaction.atomic():
            job = import_job_create(
                actor=user,
                register=request.POST.get("register", ""),
                mode=request.POST.get("mode", ImportMode.ALL_OR_NOTHING),
                now=clock.now(),
                upload=file,
            )
            transaction.on_commit(lambda: run_import.enqueue(job.pk))
    except DomainError as exc:
        status = exc.status if exc.status != 400 else 422
        return render(
            request,
            "bulk/index.html",
            _context(request, error=exc.message_zh, error_en=exc.message_en),
            status=status,
        )
    return redirect("bulk:job", job.pk)


def _job(request: HttpRequest, job_id: int) -> Any:
    try:
        return selectors.job_for(_user(request), job_id)
    except NotFound as exc:
        raise Http404(exc.message_zh) from None


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    issues = Paginator(job.issues.all(), 50).get_page(request.GET.get("page"))
    return render(request, "bulk/job.html", {"job": job, "issues": issues})


@login_required
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    response = render(request, "bulk/_progress.html", {"job": job})
    if job.finished and request.headers.get("HX-Request"):
        # The whole page reloads once at the end, to show the issues.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def report_download(request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
    job = _job(request, job_id)
    form = _format(fmt)
    buf = io.BytesIO()
    error_report_write(job, form, buf)
    response = HttpResponse(buf.getvalue(), content_type=CONTENT_TYPES[form])
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.{form.value}"'
    return response


def _chunks(fh: Any) -> Iterator[bytes]:
    with fh:
        fh.seek(0)
        while chunk := fh.read(1 << 16):
            yield chunk


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return redirect("bulk:index")
    user = _user(request)
    register = request.POST.get("register", "")
    fmt = request.POST.get("format", "xlsx")
    unmask = request.POST.get("unmask") == "1"
    # Spooled: a big export goes to a temporary file, not to memory, and is streamed from it.
    out = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115
    try:
        export_write(
            register,
            user=user,
            fmt=fmt,
            out=out,
            unmask=unmask,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except DomainError as exc:
        out.close()
        status = exc.status if exc.status != 400 else 422
        return render(
            request,
            "bulk/index.html",
            _context(request, error=exc.message_zh, error_en=exc.message_en),
            status=status,
        )
    name = f"{register}-{clock.now():%Y%m%d-%H%M}{'-unmasked' if unmask else ''}.{fmt}"
    response = StreamingHttpResponse(_chunks(out), content_type=CONTENT_TYPES[FileFormat(fmt)])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
