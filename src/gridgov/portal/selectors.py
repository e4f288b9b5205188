"""What the public may read of cases, always through the cases selectors, as the portal's
system account (whose scope is the receiving centre's territory), and then narrowed further:

- a citizen reads one case by its number **and** the reporter's phone (a wrong pair is the same
  404 as a missing case), and of it only the public timeline: no staff names, no internal notes,
  no other person's data;
- everybody reads closed cases of the public channels (处置事项公开) with no personal data:
  category, community, dates and the result with phone and ID numbers removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.cases.enums import CaseAction, CaseStatus, Channel, Rating
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.cases.selectors import CaseFilters, case_detail_for, case_list_for, categories_tree
from gridgov.core.crypto import EncryptedTextField
from gridgov.core.errors import NotFound
from gridgov.portal.scrub import scrub

# Cases from these channels may be published once closed; cases that came in by other ways
# (a petition, a mediation, a police referral) concern people who did not ask to be published.
PUBLIC_CHANNELS = (Channel.CITIZEN_APP, Channel.HOTLINE_12345)
# Disputes and public-security matters name neighbours and families: never published.
PRIVATE_CATEGORY_PREFIXES = ("11",)
DONE = (CaseStatus.CLOSED, CaseStatus.ARCHIVED)


def not_found() -> NotFound:
    # One answer for "no such number" and "wrong phone": the pair must not reveal either half.
    return NotFound(
        "未找到该事件:请核对事件编号和报事时填写的手机号",
        "no case with this number and phone",
        code="case_not_found",
    )


def _phone_index(phone: str) -> str:
    field = Case._meta.get_field("reporter_phone")
    assert isinstance(field, EncryptedTextField)
    return field.index_for(phone)


def case_for_citizen(*, reader: Any, number: str, phone: str) -> Case:
    number, phone = (number or "").strip(), (phone or "").strip()
    if not number or not phone or len(number) > 32:
        raise not_found()
    try:
        case = case_detail_for(reader, number)
    except NotFound:
        raise not_found() from None
    if (
        case.reporter_anonymous
        or not case.reporter_phone_index
        or case.reporter_phone_index != _phone_index(phone)
    ):
        raise not_found()
    return case


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    label: str
    text: str = ""


# What each act is called in the citizen's timeline; acts not listed are internal (extension
# requests, supervision sheets, colours, assists, contacts…) and not shown.
_PUBLIC_ACTS: dict[str, str] = {
    CaseAction.CREATE: "已收到您的反映",
    CaseAction.ACCEPT: "已受理",
    CaseAction.REJECT: "不予受理",
    CaseAction.VERIFY: "已现场核实",
    CaseAction.REGISTER: "已立案",
    CaseAction.DISPATCH: "已交由承办部门办理",
    CaseAction.HANDLE: "承办部门正在处置",
    CaseAction.REPORT_BACK: "承办部门已反馈办理结果",
    CaseAction.CLOSE: "已办结",
    CaseAction.ESCALATE: "已上报上级统筹办理",
    CaseAction.SEND_DOWN: "已交属地办理",
    CaseAction.SUSPEND: "暂停办理",
    CaseAction.RESUME: "恢复办理",
    CaseAction.MERGE: "与同一问题的其他反映合并办理",
    CaseAction.PARENT_CLOSED: "已随合并办理的事件办结",
}


def public_step(event: CaseEvent) -> PublicStep | None:
    """How one event reads in public, or None for an internal one."""
    action = event.action
    if action == CaseAction.CHECK:
        passed = bool(event.data.get("passed"))
        return PublicStep(event.at, "办理结果已核查通过" if passed else "核查未通过,重新办理")
    if action == CaseAction.FOLLOW_UP:
        rating = event.data.get("rating")
        return PublicStep(event.at, "回访评价已记录", Rating(rating).label if rating in Rating.values else "")
    if action in _PUBLIC_ACTS:
        text = ""
        # A result or a refusal is addressed to the reporter; internal notes are not.
        if action in (CaseAction.REPORT_BACK, CaseAction.REJECT, CaseAction.PARENT_CLOSED):
            text = scrub(event.note)
        return PublicStep(event.at, _PUBLIC_ACTS[action], text)
    return None


def public_timeline(case: Case) -> list[PublicStep]:
    events = getattr(case, "events_list", None) or case.events.all()
    return [step for step in (public_step(e) for e in events) if step is not None]


def public_status(case: Case) -> str:
    status = CaseStatus(case.status)
    if status in (CaseStatus.RECEIVED,):
        return "待受理"
    if status == CaseStatus.CLOSED:
        return "已办结(待评价)"
    if status == CaseStatus.ARCHIVED:
        return "已办结"
    if status in (CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.SUSPENDED):
        return status.label
    return "办理中"


@dataclass(frozen=True)
class PublicFilters:
    category: str = ""  # a category code (first-level codes include their children)
    region: str = ""  # a region code
    text: str = ""


def public_cases(*, reader: Any, filters: PublicFilters, now: datetime) -> QuerySet[Case]:
    qs = case_list_for(
        reader,
        CaseFilters(status=DONE, category=filters.category, region=filters.region),
        now=now,
    )
    qs = qs.filter(channel__in=PUBLIC_CHANNELS, parent__isnull=True)
    for prefix in PRIVATE_CATEGORY_PREFIXES:
        qs = qs.exclude(category__code__startswith=prefix)
    if filters.text:
        qs = qs.filter(Q(category__name__icontains=filters.text) | Q(result__icontains=filters.text))
    return qs.select_related("region").defer("region__boundary").order_by("-closed_at", "-id")


def public_row(case: Case) -> dict[str, Any]:
    return {
        "category": case.category.name,
        "category_code": case.category.code,
        "area": case.region.name,
        "created_on": timezone.localdate(case.created_at).isoformat(),
        "closed_on": timezone.localdate(case.closed_at).isoformat() if case.closed_at else None,
        "result": scrub(case.result),
        "rating": case.get_rating_display() if case.rating else "",
    }


def categories_for_citizens() -> list[Category]:
    return categories_tree()
