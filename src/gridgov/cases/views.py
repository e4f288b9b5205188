"""Case pages: the work queue, the seat agent's intake, the case page, the department's inbox
and the leader's supervision list. Thin: reads go through cases/selectors (the data scope lives
there), writes through cases/services or the JSON API the page's scripts call."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.accounts.scope import departments_visible, region_root_for, regions_visible
from gridgov.cases import selectors
from gridgov.cases.api import UNMASK_ROLES
from gridgov.cases.api_files import attachment_response, thumbnail_response
from gridgov.cases.available import acts_available
from gridgov.cases.enums import (
    DONE_STATUSES,
    CaseAction,
    CaseStatus,
    Channel,
    NoticeKind,
    PartStatus,
    Rating,
    Urgency,
)
from gridgov.cases.models import Case, Notice
from gridgov.cases.present import reporter_out
from gridgov.cases.services import ActParams, case_act
from gridgov.cases.services.attachments import (
    ALLOWED_SUFFIXES,
    IMAGES,
    MAX_BYTES,
    MAX_PER_ACT,
    attachment_for,
)
from gridgov.cases.services.intake import INTAKE_ROLES
from gridgov.core import clock
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.pii import normalize_phone
from gridgov.geo.models import Grid
from gridgov.sla.enums import Colour, DurationUnit


def _user(request: HttpRequest) -> User:
    # Every page here is behind login_required: the user is a real account.
    return cast(User, request.user)


PER_PAGE = 50
EXPORT_MAX = 10_000
S = CaseStatus
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in DONE_STATUSES)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    statuses: tuple[CaseStatus, ...] = ()
    overdue: bool = False


TABS = (
    Tab("received", "待受理", (S.RECEIVED,)),
    Tab("pending", "待核实/立案/派遣", (S.ACCEPTED, S.VERIFIED, S.REGISTERED)),
    Tab("working", "办理中", (S.DISPATCHED, S.HANDLING)),
    Tab("checking", "待核查/结案", (S.REPORTED, S.CHECKED)),
    Tab("overdue", "已超期", overdue=True),
    Tab("suspended", "挂起", (S.SUSPENDED,)),
    Tab("done", "已办结", (S.CLOSED, S.ARCHIVED)),
    Tab("all", "全部"),
)
TAB_BY_KEY = {t.key: t for t in TABS}
FILTER_KEYS = (
    "status",
    "colour",
    "channel",
    "category",
    "region",
    "owner",
    "overdue",
    "text",
    "phone",
    "created_from",
    "created_to",
)


# --- filters -------------------------------------------------------------------------------


def _date(raw: str, label: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}“{raw}”不是有效日期(格式:2026-03-02)")
        return None


def filters_from(get: Any) -> tuple[selectors.CaseFilters, dict[str, str], list[str]]:
    """(filters, the cleaned values to show in the form, messages about what was ignored)."""
    errors: list[str] = []
    raw = {k: (get.get(k) or "").strip() for k in FILTER_KEYS}
    values: dict[str, str] = {}
    status: tuple[CaseStatus, ...] = ()
    if raw["status"]:
        if raw["status"] in CaseStatus.values:
            status = (CaseStatus(raw["status"]),)
            values["status"] = raw["status"]
        else:
            errors.append(f"未知状态“{raw['status']}”,已忽略")
    colour = channel = None
    if raw["colour"]:
        if raw["colour"] in Colour.values:
            colour = Colour(raw["colour"])
            values["colour"] = raw["colour"]
        else:
            errors.append(f"未知三色“{raw['colour']}”,已忽略")
    if raw["channel"]:
        if raw["channel"] in Channel.values:
            channel = Channel(raw["channel"])
            values["channel"] = raw["channel"]
        else:
            errors.append(f"未知来源“{raw['channel']}”,已忽略")
    overdue = {"1": True, "0": False}.get(raw["overdue"])
    if overdue is not None:
        values["overdue"] = raw["overdue"]
    phone = raw["phone"][:32]
    if phone and not 5 <= len(normalize_phone(phone)) <= 20:
        errors.append("电话号码格式不正确,已忽略")
        phone = ""
    created_from = _date(raw["created_from"], "开始日期", errors)
    created_to = _date(raw["created_to"], "结束日期", errors)
    if created_from and created_to and created_to < created_from:
        errors.append("结束日期早于开始日期,已忽略日期范围")
        created_from = created_to = None
    for key in ("category", "region", "owner"):
        if raw[key]:
            values[key] = raw[key][:32]
    values.update(
        {k: v for k, v in (("text", raw["text"][:100]), ("phone", phone)) if v},
    )
    if created_from:
        values["created_from"] = created_from.isoformat()
    if created_to:
        values["created_to"] = created_to.isoformat()
    filters = selectors.CaseFilters(
        status=status,
        colour=colour,
        channel=channel,
        category=values.get("category", ""),
        region=values.get("region", ""),
        owner=values.get("owner", ""),
        overdue=overdue,
        text=values.get("text", ""),
        phone=phone,
        created_from=created_from,
        created_to=created_to,
    )
    return filters, values, errors


def _apply_tab(qs: QuerySet[Case], tab: Tab, now: Any) -> QuerySet[Case]:
    if tab.statuses:
        qs = qs.filter(status__in=tab.statuses)
    if tab.overdue:
        qs = qs.filter(is_open=True, due_at__lt=now)
    return qs


def _rows(cases: Any, now: Any) -> list[dict[str, Any]]:
    return [
        {
            "case": c,
            "status_label": CaseStatus(c.status).label,
            "channel_label": Channel(c.channel).label,
            "colour_label": Colour(c.colour).label if c.colour else "",
            "overdue": bool(c.is_open and c.due_at and c.due_at < now),
            "owner": str(c.owner_department or c.owner_center),
            "reporter": reporter_out(c),
        }
        for c in cases
    ]


def _export(qs: QuerySet[Case], filename: str) -> HttpResponse:
    """The same columns as the API's export (masked), plus colour in words and the deadline."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "事件"
    ws.append(
        [
            "事件编号",
            "标题",
            "来源",
            "分类",
            "状态",
            "三色",
            "责任单位",
            "反映人",
            "电话",
            "登记时间",
            "办理时限",
        ]
    )
    tz = timezone.get_current_timezone()
    for c in qs.select_related("owner_center", "owner_department", "category")[:EXPORT_MAX]:
        reporter = reporter_out(c)
        ws.append(
            [
                c.number,
                c.title,
                Channel(c.channel).label,
                c.category.name,
                CaseStatus(c.status).label,
                Colour(c.colour).label if c.colour else "",
                str(c.owner_department or c.owner_center),
                reporter["name"],
                reporter["phone"],
                c.created_at.astimezone(tz).replace(tzinfo=None),
                c.due_at.astimezone(tz).replace(tzinfo=None) if c.due_at else None,
            ]
        )
    for column, width in zip("ABCDEFGHIJK", (22, 30, 12, 16, 14, 6, 24, 8, 14, 18, 18), strict=True):
        ws.column_dimensions[column].width = width
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


def _page(request: HttpRequest, qs: QuerySet[Case]) -> Any:
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _query(values: dict[str, str], **extra: str) -> str:
    return urlencode({**values, **{k: v for k, v in extra.items() if v}})


# --- the work queue ----------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    user = _user(request)
    filters, values, errors = filters_from(request.GET)
    tab = TAB_BY_KEY.get(request.GET.get("tab", ""), TABS[0] if not values else TABS[-1])
    base = selectors.case_list_for(user, filters, now=now)
    qs = _apply_tab(base, tab, now)
    if request.GET.get("export") == "xlsx":
        return _export(qs, "事件清单")
    counts = {t.key: _apply_tab(base, t, now).count() for t in TABS}
    page = _page(request, qs.select_related("owner_center", "owner_department", "category"))
    departments = departments_visible(user).select_related("region").defer("region__boundary")
    context = {
        "tabs": [{"tab": t, "count": counts[t.key], "query": _query(values, tab=t.key)} for t in TABS],
        "tab": tab,
        "page": page,
        "rows": _rows(page.object_list, now),
        "values": values,
        "errors": errors,
        "query": _query(values, tab=tab.key),
        "statuses": CaseStatus.choices,
        "colours": Colour.choices,
        "channels": Channel.choices,
        "categories": selectors.categories_tree(),
        "regions": regions_visible(user).defer("boundary").filter(level__in=("county", "township"))[:300]
        if user.center_id or user.is_superuser
        else [],
        "departments": departments,
        "can_dispatch": bool(user.center_id) and user.role in ("dispatcher", "leader"),
    }
    return render(request, "cases/queue.html", context)


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    numbers = list(dict.fromkeys(n.strip() for n in request.POST.getlist("numbers") if n.strip()))[:200]
    department = request.POST.get("department", "").strip()
    back = reverse("cases:queue") + "?" + request.POST.get("back", "")
    if not numbers:
        messages.error(request, "请先勾选要派遣的事件。")
        return redirect(back)
    if not department:
        messages.error(request, "请选择承办部门。")
        return redirect(back)
    note = request.POST.get("note", "").strip()[:5000]
    done = 0
    for number in numbers:
        try:
            case_act(
                actor=_user(request),
                number=number,
                action=CaseAction.DISPATCH,
                params=ActParams(department_code=department, note=note),
                now=clock.now(),
            )
        except DomainError as exc:
            messages.error(request, f"{number}:派遣失败 —— {exc.message_zh}")
        else:
            done += 1
            messages.success(request, f"{number}:已派遣")
    if done:
        messages.info(request, f"批量派遣完成:成功 {done} 件,失败 {len(numbers) - done} 件。")
    return redirect(back)


# --- intake --------------------------------------------------------------------------------


def _may_intake(user: Any) -> bool:
    return bool(user.center_id) and user.role in INTAKE_ROLES


@login_required
@require_GET
def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not _may_intake(user):
        return render(
            request,
            "cases/forbidden.html",
            {"why": "只有绑定指挥中心的坐席、调度员、领导、网格员或民警可以登记事件。"},
            status=403,
        )
    root = region_root_for(user)
    categories = [
        {
            "code": c.code,
            "name": c.name,
            "children": [{"code": k.code, "name": k.name} for k in c.children.all() if k.active],
        }
        for c in selectors.categories_tree()
    ]
    return render(
        request,
        "cases/intake.html",
        {
            "categories": categories,
            "urgencies": Urgency.choices,
            "channels": Channel.choices,
            "default_channel": Channel.HOTLINE_12345,
            "features_url": reverse("region-features", args=[root.code]) if root else "",
            **_upload_context(),
        },
    )


@login_required
@require_GET
def caller_cases(request: HttpRequest) -> JsonResponse:
    """A caller's earlier cases, by the phone's blind index, within the user's scope, masked."""
    phone = request.GET.get("phone", "").strip()[:32]
    if not 5 <= len(normalize_phone(phone)) <= 20:
        return JsonResponse({"count": 0, "items": []})
    now = clock.now()
    qs = selectors.case_list_for(_user(request), selectors.CaseFilters(phone=phone), now=now)
    items = [
        {
            "number": c.number,
            "title": c.title,
            "status": CaseStatus(c.status).label,
            "category": c.category.name,
            "created_at": timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
            "url": reverse("cases:detail", args=[c.number]),
            "reporter": reporter_out(c)["name"],
        }
        for c in qs[:10]
    ]
    return JsonResponse({"count": qs.count(), "items": items})


# --- the case page -------------------------------------------------------------------------

# What each act's form asks for, beyond the note every act accepts.
ACT_FIELDS: dict[str, tuple[str, ...]] = {
    "reject": ("reason",),
    "dispatch": ("department",),
    "report_back": ("result",),
    "check": ("passed", "reason"),
    "follow_up": ("rating",),
    "return": ("reason",),
    "request_extension": ("amount", "unit", "reason"),
    "suspend": ("reason",),
    "escalate": ("reason",),
    "send_down": ("region_code",),
    "assist": ("departments",),
    "part_report": ("result",),
    "merge": ("parent",),
    "supervise": ("respond_by",),
}
NOTE_LABELS = {
    "assist": "协办任务",
    "supervise": "督办要求",
    "dispatch": "交办意见",
}
NOTE_REQUIRED = {"supervise", "assist"}


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download (or, `?inline=1`, view an image): scoped like the case, 404 otherwise."""
    try:
        found = attachment_for(user=_user(request), pk=pk)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    return attachment_response(found, inline=request.GET.get("inline") == "1")


@login_required
@require_GET
def attachment_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        return thumbnail_response(attachment_for(user=_user(request), pk=pk))
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


def _upload_context() -> dict[str, Any]:
    """What the file inputs tell the browser to check before uploading (the server checks again)."""
    return {
        "upload_accept": ",".join(ALLOWED_SUFFIXES),
        "upload_max_bytes": MAX_BYTES,
        "upload_max_files": MAX_PER_ACT,
    }


def _case_or_404(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.case_detail_for(_user(request), number)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    case = _case_or_404(request, number)
    now = clock.now()
    available = acts_available(user, case)
    acts = [a for a in available if a.action != CaseAction.RESPOND]
    may_respond = any(a.action == CaseAction.RESPOND for a in available)
    notices = []
    for n in case.notices_list:  # type: ignore[attr-defined]
        mine = (n.to_department_id and n.to_department_id == user.department_id) or (
            n.to_center_id and n.to_center_id == user.center_id
        )
        notices.append(
            {
                "n": n,
                "kind": NoticeKind(n.kind).label,
                "to": str(n.to_department or n.to_center or ""),
                "overdue": n.responded_at is None and n.respond_by < now,
                "can_respond": bool(may_respond and mine and n.responded_at is None),
            }
        )
    events = [
        {
            "e": e,
            "label": CaseAction(e.action).label,
            "from": CaseStatus(e.from_status).label if e.from_status else "",
            "to": CaseStatus(e.to_status).label,
        }
        for e in case.events_list  # type: ignore[attr-defined]
    ]
    owner_region = case.owner_center.region
    needs = {f for a in acts for f in ACT_FIELDS.get(a.value, ())}
    departments = (
        departments_visible(user)
        .filter(region__code__startswith=owner_region.prefix)
        .select_related("region")
        .defer("region__boundary")
        if needs & {"department", "departments"}
        else []
    )
    lower_regions = (
        regions_visible(user).defer("boundary").filter(parent=owner_region).order_by("code")
        if "region_code" in needs
        else []
    )
    lower_regions = [r for r in lower_regions if case.territory_code.startswith(r.prefix)]
    grid_feature = None
    if case.grid_id:
        grid = Grid.objects.only("code", "name", "boundary").get(pk=case.grid_id)
        grid_feature = {
            "type": "Feature",
            "geometry": grid.boundary,
            "properties": {"code": grid.code, "name": grid.name, "is_grid": True},
        }
    offset = timezone.localtime(now).strftime("%z")
    context = {
        "case": case,
        "status_label": CaseStatus(case.status).label,
        "channel_label": Channel(case.channel).label,
        "urgency_label": Urgency(case.urgency).label,
        "colour_label": Colour(case.colour).label if case.colour else "",
        "overdue": bool(case.is_open and case.due_at and case.due_at < now),
        "reporter": reporter_out(case),
        # Nothing to unmask for an anonymous report or one without name and phone.
        "may_unmask": user.role in UNMASK_ROLES
        and not case.reporter_anonymous
        and bool(case.reporter_name or case.reporter_phone),
        "events": events,
        "parts": [
            {"p": p, "open": p.status == PartStatus.OPEN, "role": p.get_role_display()}
            for p in case.parts_list  # type: ignore[attr-defined]
        ],
        "extensions": case.extensions_list,  # type: ignore[attr-defined]
        "attachments": list(case.attachments.all()),
        "notices": notices,
        "acts": [
            {
                "a": a,
                "fields": ACT_FIELDS.get(a.value, ()),
                "note_label": NOTE_LABELS.get(a.value, "备注"),
                "note_required": a.value in NOTE_REQUIRED,
                "passed_only": a.outcomes,
            }
            for a in acts
        ],
        "departments": departments,
        "lower_regions": lower_regions,
        "ratings": Rating.choices,
        "units": [
            (u.value, u.label) for u in (DurationUnit.WORKDAYS, DurationUnit.WORK_HOURS, DurationUnit.HOURS)
        ],
        "point": {"lon": case.lon, "lat": case.lat} if case.lon is not None else None,
        "grid_feature": grid_feature,
        "tz_offset": f"{offset[:3]}:{offset[3:]}",
        "images": IMAGES,
        **_upload_context(),
    }
    return render(request, "cases/detail.html", context)


# --- the department's inbox and the leader's supervision list ------------------------------


@dataclass(frozen=True)
class TabbedList:
    """One tab of the inbox or the supervision list: its key, label and cases."""

    key: str
    label: str
    cases: QuerySet[Case]


def _tabbed_list(
    request: HttpRequest,
    *,
    lists: list[TabbedList],
    param: str,
    default: str,
    values: dict[str, str],
    export_name: str,
) -> dict[str, Any] | HttpResponse:
    """The shape the inbox and the supervision list share: tabs with counts, the chosen tab's
    page of rows (unknown tab: the default), its XLSX export. Returns the template context, or
    the export as a response."""
    now = clock.now()
    by_key = {t.key: t for t in lists}
    which = request.GET.get(param, default)
    if which not in by_key:
        which = default
    qs = by_key[which].cases
    if request.GET.get("export") == "xlsx":
        return _export(qs, export_name)
    page = _page(request, qs)
    return {
        "tabs": [
            {
                "key": t.key,
                "label": t.label,
                "count": t.cases.count(),
                "query": _query(values, **{param: t.key}),
            }
            for t in lists
        ],
        "which": which,
        "page": page,
        "rows": _rows(page.object_list, now),
        "values": values,
        "query": _query(values, **{param: which}),
    }


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = clock.now()
    if not user.department_id:
        return render(request, "cases/inbox.html", {"not_department": True})
    filters, values, errors = filters_from(request.GET)
    # A department's scope is already "owns or has a part in": the inbox is its open work.
    base = selectors.case_list_for(user, filters, now=now).filter(status__in=OPEN_STATUSES)
    mine = base.filter(owner_department_id=user.department_id)
    my_parts = Q(parts__department_id=user.department_id, parts__status=PartStatus.OPEN)
    shown = _tabbed_list(
        request,
        lists=[
            TabbedList("todo", "待处置", mine.filter(status=S.DISPATCHED)),
            TabbedList("handling", "处置中", mine.filter(status=S.HANDLING)),
            TabbedList("assist", "协办", base.filter(my_parts).distinct()),
            TabbedList("overdue", "已超期", base.filter(is_open=True, due_at__lt=now)),
            TabbedList("all", "全部在办", base),
        ],
        param="box",
        default="todo",
        values=values,
        export_name="部门收件箱",
    )
    if isinstance(shown, HttpResponse):
        return shown
    notices = selectors.notices_open_for(user).select_related("case")[:50]
    shown["errors"] = errors
    shown["notices"] = [
        {"n": n, "kind": NoticeKind(n.kind).label, "overdue": n.respond_by < now} for n in notices
    ]
    return render(request, "cases/inbox.html", shown)


@login_required
@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = clock.now()
    filters, values, errors = filters_from(request.GET)
    base = selectors.case_list_for(user, filters, now=now).filter(is_open=True)
    supervised = Notice.objects.filter(kind=NoticeKind.SUPERVISION).values("case_id")
    unanswered = Notice.objects.filter(responded_at__isnull=True).values("case_id")
    shown = _tabbed_list(
        request,
        lists=[
            TabbedList("red", "红色事件", base.filter(colour=Colour.RED)),
            TabbedList("supervised", "督办中", base.filter(pk__in=supervised)),
            TabbedList("unanswered", "三单未回复", base.filter(pk__in=unanswered)),
            TabbedList("all", "红色或督办", base.filter(Q(colour=Colour.RED) | Q(pk__in=supervised))),
        ],
        param="list",
        default="all",
        values=values,
        export_name="督办清单",
    )
    if isinstance(shown, HttpResponse):
        return shown
    visible_ids = selectors.cases_visible(user).values("pk")
    open_notices = (
        Notice.objects.filter(responded_at__isnull=True, case_id__in=visible_ids)
        .select_related("case", "to_center", "to_department")
        .order_by("respond_by")[:50]
    )
    shown["errors"] = errors
    shown["notices"] = [
        {
            "n": n,
            "kind": NoticeKind(n.kind).label,
            "to": str(n.to_department or n.to_center or ""),
            "overdue": n.respond_by < now,
        }
        for n in open_notices
    ]
    shown["can_supervise"] = user.role == "leader"
    return render(request, "cases/supervision.html", shown)
