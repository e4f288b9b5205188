"""Who hears about what happens to a case: the CaseEvent and Notice tables read as outboxes
(`notify.services.outbox_process`) and turned into notifications. Run by the `notify_fanout`
task in `cases/tasks.py`; idempotent because notifications are unique per (user, cause)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.cases.enums import CaseAction, NoticeKind
from gridgov.cases.models import CaseEvent, Notice
from gridgov.notify.enums import NotificationKind
from gridgov.notify.services import deliveries_retry, notification_send, outbox_process

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


def notify_event(event: CaseEvent, *, now: datetime) -> None:
    """Events that hand a case to someone new; the sheets (dispatch, assist, colours) already
    tell their addressees through `notify_notice`."""
    action, data, case = event.action, event.data or {}, event.case
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
            "id", "action", "data", "note", "case__number", "case__title", "case__owner_center_id"
        ),
        handle=lambda e: notify_event(e, now=now),
    )
    retried = deliveries_retry(now=now)
    return {"notices": notices, "events": events, "retried": retried}
