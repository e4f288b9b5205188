"""/api/v1/cases: thin. Validate the shape here, leave the rules to the services, read through
the selectors. The endpoints are listed in docs/cases.md."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from gridgov.accounts.enums import Role
from gridgov.cases import selectors
from gridgov.cases.enums import SYSTEM_ACTIONS, CaseAction, CaseStatus, Channel, Rating, Urgency
from gridgov.cases.present import case_detail_out, case_out, reporter_out
from gridgov.cases.services import ActParams, CaseDraft, attachment_upload, case_act, case_create
from gridgov.core import clock
from gridgov.core.audit import audit_record
from gridgov.core.errors import Forbidden, InvalidInput, NotFound
from gridgov.core.models import AuditAction
from gridgov.geo.enums import Crs
from gridgov.sla.enums import Colour, DurationUnit

router = Router(tags=["cases"])

# Who may read a reporter's name and phone in clear: the desks that call reporters back and
# the handlers who must contact them (131: contact within the hour).
UNMASK_ROLES = frozenset({Role.DISPATCHER, Role.LEADER, Role.HANDLER})
MAX_PAGE = 200


class Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocationIn(Strict):
    lon: float
    lat: float
    crs: Crs = Crs.WGS84


class ReporterIn(Strict):
    name: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)
    anonymous: bool = False


class CaseIn(Strict):
    channel: Channel
    category: str = Field(..., min_length=1, max_length=16)
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    urgency: Urgency = Urgency.NORMAL
    location: LocationIn | None = None
    address: str = Field("", max_length=200)
    region_code: str = Field("", max_length=12)
    reporter: ReporterIn = Field(default_factory=lambda: ReporterIn(name="", phone=""))
    external_refs: dict[str, str] = Field(default_factory=dict, max_length=10)
    attachment_ids: list[int] = Field(default_factory=list, max_length=20)


class ActionIn(Strict):
    note: str = Field("", max_length=5000)
    reason: str = Field("", max_length=2000)
    department: str = Field("", max_length=32)
    departments: list[str] = Field(default_factory=list, max_length=20)
    region_code: str = Field("", max_length=12)
    rating: Rating | None = None
    passed: bool | None = None
    amount: int | None = None
    unit: DurationUnit | None = None
    parent: str = Field("", max_length=32)
    notice_id: int | None = None
    respond_by: datetime | None = None
    attachment_ids: list[int] = Field(default_factory=list, max_length=20)
    expected_version: int | None = None


class ListQuery(Schema):
    status: str = Field("", description="comma-separated statuses")
    colour: Colour | None = None
    channel: Channel | None = None
    category: str = ""
    region: str = ""
    owner: str = Field("", description="a department code or a centre's region code")
    overdue: bool | None = None
    open_notice: bool | None = None
    text: str = Field("", max_length=100)
    phone: str = Field("", max_length=32)
    created_from: date | None = None
    created_to: date | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0)


def _user(request: HttpRequest) -> Any:
    return request.user


def _draft(payload: CaseIn) -> CaseDraft:
    loc = payload.location
    return CaseDraft(
        channel=payload.channel,
        category_code=payload.category,
        title=payload.title,
        description=payload.description,
        urgency=payload.urgency,
        lon=loc.lon if loc else None,
        lat=loc.lat if loc else None,
        crs=loc.crs if loc else Crs.WGS84,
        address=payload.address,
        region_code=payload.region_code,
        reporter_name=payload.reporter.name,
        reporter_phone=payload.reporter.phone,
        reporter_anonymous=payload.reporter.anonymous,
        external_refs=dict(payload.external_refs),
        attachment_ids=tuple(payload.attachment_ids),
    )


def _filters(q: ListQuery) -> selectors.CaseFilters:
    statuses = []
    for s in filter(None, (part.strip() for part in q.status.split(","))):
        if s not in CaseStatus.values:
            raise InvalidInput(f"未知状态 {s}", f"unknown status {s}", code="bad_status")
        statuses.append(CaseStatus(s))
    if q.created_from and q.created_to and q.created_to < q.created_from:
        raise InvalidInput("结束日期早于开始日期", "created_to is before created_from", code="bad_dates")
    return selectors.CaseFilters(
        status=tuple(statuses),
        colour=q.colour,
        channel=q.channel,
        category=q.category,
        region=q.region,
        owner=q.owner,
        overdue=q.overdue,
        open_notice=q.open_notice,
        text=q.text,
        phone=q.phone,
        created_from=q.created_from,
        created_to=q.created_to,
    )


def _unmask_allowed(request: HttpRequest, number: str, reason: str) -> None:
    user = _user(request)
    if user.role not in UNMASK_ROLES:
        raise Forbidden("您的角色无权查看完整个人信息", "your role may not read personal data unmasked")
    if len(reason.strip()) < 2:
        raise InvalidInput(
            "查看完整个人信息须说明理由(reason)", "give a reason to read personal data unmasked",
            code="reason_required",
        )  # fmt: skip
    audit_record(
        action=AuditAction.UNMASK,
        actor=user,
        request=request,
        object_type="cases.case",
        object_id=number,
        detail={"reason": reason.strip(), "fields": ["reporter_name", "reporter_phone"]},
    )


@router.post("", response={200: dict, 201: dict})
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    now = clock.now()
    case, created = case_create(
        actor=_user(request),
        draft=_draft(payload),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        now=now,
    )
    return Status(201 if created else 200, case_out(case, now=now))


@router.get("", response=dict)
def list_cases(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    now = clock.now()
    qs = selectors.case_list_for(_user(request), _filters(q), now=now)
    total = qs.count()
    items = [
        case_out(c, now=now)
        for c in qs.select_related("grid", "region", "parent").defer("grid__boundary", "region__boundary")[
            q.offset : q.offset + q.limit
        ]
    ]
    return {"count": total, "limit": q.limit, "offset": q.offset, "items": items}


@router.get("/export.xlsx")
def export_cases(request: HttpRequest, q: Query[ListQuery]) -> HttpResponse:
    from openpyxl import Workbook

    now = clock.now()
    qs = selectors.case_list_for(_user(request), _filters(q), now=now)[:10_000]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["事件编号", "标题", "来源", "分类", "状态", "三色", "责任单位", "反映人", "电话", "登记时间"])
    for c in qs.select_related("owner_center", "owner_department", "category"):
        reporter = reporter_out(c)
        ws.append([
            c.number, c.title, Channel(c.channel).label, c.category.name, CaseStatus(c.status).label,
            c.colour, str(c.owner), reporter["name"], reporter["phone"], c.created_at.replace(tzinfo=None),
        ])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="cases.xlsx"'
    return response


@router.get("/categories", response=list[dict])
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "children": [{"code": k.code, "name": k.name} for k in c.children.all()],
        }
        for c in selectors.categories_tree()
    ]


@router.get("/notices", response=list[dict])
def my_notices(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": n.pk, "case": n.case.number, "kind": n.kind, "text": n.text, "respond_by": n.respond_by}
        for n in selectors.notices_open_for(_user(request)).select_related("case")
    ]


@router.post("/attachments", response={201: dict})
def upload_attachment(request: HttpRequest, file: File[UploadedFile]) -> Status:
    user = _user(request)
    if not (user.center_id or user.department_id):
        raise Forbidden("无权上传附件", "you may not upload attachments")
    a = attachment_upload(actor=user, file=file, now=clock.now())
    return Status(201, {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size})


@router.get("/{number}", response=dict)
def get_case(request: HttpRequest, number: str, unmask: bool = False, reason: str = "") -> dict[str, Any]:
    case = selectors.case_detail_for(_user(request), number)
    if unmask:
        _unmask_allowed(request, number, reason)
    return case_detail_out(case, now=clock.now(), unmask=unmask)


@router.get("/{number}/reporter", response=dict)
def get_reporter(request: HttpRequest, number: str, reason: str = "") -> dict[str, Any]:
    case = selectors.case_get_for(_user(request), number)
    _unmask_allowed(request, number, reason)
    return reporter_out(case, unmask=True)


@router.post("/{number}/actions/{action}", response=dict)
def act(request: HttpRequest, number: str, action: str, payload: ActionIn) -> dict[str, Any]:
    if action not in CaseAction.values or action in SYSTEM_ACTIONS:
        raise NotFound(
            f"未知操作 {action}", f"unknown action {action}", code="unknown_action",
            actions=[a.value for a in CaseAction if a not in SYSTEM_ACTIONS],
        )  # fmt: skip
    now = clock.now()
    params = ActParams(
        note=payload.note,
        reason=payload.reason,
        department_code=payload.department,
        department_codes=tuple(payload.departments),
        region_code=payload.region_code,
        rating=payload.rating,
        passed=payload.passed,
        amount=payload.amount,
        unit=payload.unit,
        parent_number=payload.parent,
        notice_id=payload.notice_id,
        respond_by=payload.respond_by,
        attachment_ids=tuple(payload.attachment_ids),
        expected_version=payload.expected_version,
    )
    case = case_act(actor=_user(request), number=number, action=CaseAction(action), params=params, now=now)
    try:
        return case_detail_out(selectors.case_detail_for(_user(request), number), now=now)
    except NotFound:
        # Handed on (returned, escalated past one's territory): done, but no longer the caller's to read.
        return {"number": case.number, "status": case.status, "version": case.version, "visible": False}
