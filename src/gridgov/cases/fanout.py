"""Who hears about what happens to a case: the CaseEvent and Notice tables read as outboxes
(`notify.services.outbox_process`) and turned into notifications to staff, and, when a case
closes, into a text to each reporter (the merged duplicates' reporters too). Run by the
`notify_fanout` task in `cases/tasks.py`; idempotent because notifications are unique per
(user, cause) and citizen texts per (cause, channel, phone number)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.cases.enums import CaseAction, NoticeKind
from gridgov.cases.models import Case, CaseEvent, Notice
from gridgov.core.pii import normalize_phone
from gridgov.notify.enums import NotificationKind
from gridgov.notify.services import citizen_text, deliveries_retry, notification_send, outbox_process

NOTICE_KIND = {
    NoticeKind.WARNING: NotificationKind.WARNING,
    NoticeKind.ASSIGNMENT: NotificationKind.ASSIGNMENT,
    NoticeKind.SUPERVISION: NotificationKind.SUPERVISION,
}
DESK_ROLES = (Role.DISPATCHER, Role.LEADER)


def _desk_of(center_id: int | None) -> list[Any]:
    if center_id is None:
        return []
    return list(get_user_model().objects.filter(center_id=center_id, role__in=DESK_ROLES, is_active=True))


def _unit_users(*, center_id: int | None, department_id: int | None) -> list[Any]:
    if department_id is not None:
        return list(get_user_model().objects.filter(department_id=department_id, is_active=True))
    return _desk_of(center_id)


def notify_notice(notice: Notice, *, now: datetime) -> None:
    case = notice.case
    kind = NOTICE_KIND[NoticeKind(notice.kind)]
    notification_send(
        users=_unit_users(center_id=notice.to_center_id, department_id=notice.to_department_id),
        kind=kind, key=f"notice:{notice.pk}", case_number=case.number,
        title=f"{kind.label}:{case.number} {case.title}",
        body=f"{notice.text}\n请于 {notice.respond_by:%Y-%m-%d %H:%M} 前回复。".strip(),
        now=now,
    )  # fmt: skip


def _center_by_code(code: str | None) -> int | None:
    if not code:
        return None
    return Center.objects.filter(region__code=code).values_list("pk", flat=True).first()


# A close the fan-out first sees later than this (the worker was down, or the demo's history)
# is not texted: a result weeks late confuses more than it tells.
CITIZEN_TEXT_WITHIN = timedelta(days=3)
TEXT_MAX = 300


def citizen_result_text(*, numbers: list[str], result: str) -> str:
    """What a reporter reads: its own tracking number(s) and the result, nothing of anyone else
    (not the parent's number, not the other reporters)."""
    site = getattr(settings, "GRIDGOV", {}).get("SITE_NAME", "") or "市域社会治理"
    head = f"【{site}】您反映的诉求(编号 {'、'.join(numbers)})已办结。办理结果:"
    tail = "如有疑问请致电 12345。"
    room = TEXT_MAX - len(head) - len(tail) - 1
    body = " ".join((result or "已办理").split())
    if len(body) > room:
        body = body[: room - 1] + "…"
    return f"{head}{body} {tail}"


def tell_reporters(event: CaseEvent, *, now: datetime) -> int:
    """A closed case's result to every reporter with a phone: the case's own and, when it is the
    parent of merged duplicates, each child's. One text per phone number per close (a number
    that reported twice hears once, with both its numbers); `citizen_text` makes a rerun send
    nothing new. Anonymous reports have no number and hear nothing."""
    if now - event.at > CITIZEN_TEXT_WITHIN:
        return 0
    data = event.data or {}
    numbers = [event.case.number, *data.get("children", [])]
    if "children" not in data:  # closed before the event recorded its children
        numbers += list(Case.objects.filter(parent_id=event.case_id).values_list("number", flat=True))
    result = data.get("result") or event.case.result
    by_phone: dict[str, list[str]] = {}
    for case in (
        Case.objects.filter(number__in=numbers)
        .only("number", "reporter_phone", "reporter_anonymous")
        .order_by("number")
    ):
        phone = normalize_phone(case.reporter_phone)
        if phone and not case.reporter_anonymous:
            by_phone.setdefault(phone, []).append(case.number)
    sent = 0
    for phone, own in by_phone.items():
        sent += citizen_text(
            key=f"closed:{event.pk}", phone=phone, text=citizen_result_text(numbers=own, result=result),
            case_numbers=",".join(own), now=now,
        )  # fmt: skip
    return sent


def notify_event(event: CaseEvent, *, now: datetime) -> None:
    """Events that hand a case to someone new; the sheets (dispatch, assist, colours) already
    tell their addressees through `notify_notice`. A close tells the reporters."""
    action, data, case = event.action, event.data or {}, event.case
    if action == CaseAction.CLOSE:
        tell_reporters(event, now=now)
        return
    if action == CaseAction.ESCALATE:
        kind, users = NotificationKind.ESCALATED, _desk_of(_center_by_code(data.get("to_center")))
    elif action == CaseAction.SEND_DOWN:
        kind, users = NotificationKind.SENT_DOWN, _desk_of(_center_by_code(data.get("to_center")))
    elif action == CaseAction.RETURN:
        kind, users = NotificationKind.RETURNED, _desk_of(case.owner_center_id)
    elif action == CaseAction.REPORT_BACK:
        kind, users = NotificationKind.REPORTED, _desk_of(case.owner_center_id)
    else:
        return
    notification_send(
        users=users, kind=kind, key=f"event:{event.pk}", case_number=case.number,
        title=f"{kind.label}:{case.number} {case.title}", body=event.note, now=now,
    )  # fmt: skip


def fan_out(*, now: datetime) -> dict[str, int]:
    notices = outbox_process(
        name="cases.notice",
        queryset=Notice.objects.select_related("case").only(
            "id", "kind", "text", "respond_by", "to_center_id", "to_department_id",
            "case__number", "case__title",
        ),
        handle=lambda n: notify_notice(n, now=now),
    )  # fmt: skip
    events = outbox_process(
        name="cases.event",
        queryset=CaseEvent.objects.select_related("case").only(
            "id",
            "action",
            "data",
            "note",
            "at",
            "case__number",
            "case__title",
            "case__owner_center_id",
            "case__result",
        ),
        handle=lambda e: notify_event(e, now=now),
    )
    retried = deliveries_retry(now=now)
    return {"notices": notices, "events": events, "retried": retried}
