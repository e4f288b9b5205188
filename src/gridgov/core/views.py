"""The auditors' page: the audit log, filtered and paginated, with an XLSX export; and the one
XLSX writer the list pages share."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridgov.core import clock
from gridgov.core.models import AuditAction, AuditLog

PER_PAGE = 50
EXPORT_MAX = 50_000


def xlsx_response(
    title: str, headings: Sequence[str], rows: Iterable[Sequence[Any]], *, filename: str
) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(list(headings))
    for row in rows:
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None or isinstance(value, (str, int, float, dt.date)):
        return value
    return str(value)


def may_read_audit(user: Any) -> bool:
    # The rule lives with the permission it names (registry/permissions.py).
    from gridgov.registry.permissions import may_read_audit as rule

    return rule(user)


def _date(raw: str, errors: list[str], label: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}格式应为 年-月-日")
        return None


def audit_filtered(get: Any) -> tuple[QuerySet[AuditLog], dict[str, str], list[str]]:
    qs = AuditLog.objects.select_related("actor")
    values: dict[str, str] = {}
    errors: list[str] = []
    action = get.get("action", "")
    if action:
        if action in AuditAction.values:
            qs, values["action"] = qs.filter(action=action), action
        else:
            errors.append("未知的操作类型")
    user = get.get("user", "").strip()[:150]
    if user:
        qs, values["user"] = qs.filter(username__icontains=user), user
    obj = get.get("object", "").strip()[:100]
    if obj:
        # "registry.resident:42", "registry.resident" or just an id.
        kind, _, pk = (
            obj.partition(":") if ":" in obj else (obj if "." in obj else "", "", "" if "." in obj else obj)
        )
        if kind:
            qs = qs.filter(object_type=kind)
        if pk:
            qs = qs.filter(object_id=pk)
        values["object"] = obj
    tz = timezone.get_current_timezone()
    start = _date(get.get("from", ""), errors, "开始日期")
    end = _date(get.get("to", ""), errors, "结束日期")
    if start:
        qs, values["from"] = qs.filter(at__gte=dt.datetime.combine(start, dt.time(), tz)), start.isoformat()
    if end:
        qs = qs.filter(at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
        values["to"] = end.isoformat()
    if start and end and end < start:
        errors.append("结束日期早于开始日期")
    return qs.order_by("-at", "-id"), values, errors


COLUMNS = ("时间", "用户", "操作", "对象类型", "对象", "IP", "详情")


def _row(a: AuditLog) -> list[Any]:
    detail = a.detail or {}
    shown = "; ".join(f"{k}: {v}" for k, v in detail.items())
    return [a.at, a.username, a.get_action_display(), a.object_type, a.object_id, a.ip or "", shown]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_read_audit(request.user):
        return render(request, "core/audit_forbidden.html", status=403)
    qs, values, errors = audit_filtered(request.GET)
    if request.GET.get("export") == "xlsx" and not errors:
        return xlsx_response("审计日志", COLUMNS, (_row(a) for a in qs[:EXPORT_MAX]), filename="audit-log")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "rows": [_row(a) for a in page.object_list],
            "columns": COLUMNS,
            "values": values,
            "query": urlencode(values),
            "errors": errors,
            "actions": AuditAction.choices,
            "export_max": EXPORT_MAX,
        },
    )
