"""Background jobs of the cases domain, run by `gridgov worker` (docs/worker.md).

- `deadline_scan`: finds the open cases whose colour must change (`selectors.cases_due`, two
  range scans on partial indexes that hold only the cases not yet red / still green; when
  nothing changed that is the whole job) and recolours each through `case_clock_tick`, which
  writes the recolour event and its sheet (预警单 at yellow, 督办单 at red). A case that turns
  red under a policy with `escalate_when_overdue` is escalated to the centre above in the same
  savepoint. Cases are ticked `TICK_CHUNK` per transaction, each in its own savepoint.
- `notify_fanout`: reads the CaseEvent and Notice tables as outboxes and sends notifications.

Both may run twice for the same work (a reclaimed task, two schedulers racing): each step is
idempotent. The tick locks the case and changes nothing the second time; notifications are
unique per (user, cause).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django_tasks import task

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.cases.enums import CaseAction, NoticeKind
from gridgov.cases.models import Case, CaseEvent, DeadlinePolicy, Notice
from gridgov.cases.selectors import cases_due
from gridgov.cases.services import case_clock_tick
from gridgov.cases.services.loop import case_escalate_overdue
from gridgov.core import clock
from gridgov.core.errors import DomainError
from gridgov.notify.enums import NotificationKind
from gridgov.notify.services import deliveries_retry, notification_send, outbox_process
from gridgov.sla.enums import Colour

log = logging.getLogger("gridgov.cases.tasks")

# One job does at most this many cases; the next period continues where it stopped.
SCAN_LIMIT = 20_000
# Cases ticked per transaction, each in its own savepoint. One commit per chunk instead of per
# case removes most of the commit (fsync) waits; the chunk's case rows stay locked until it
# commits (well under a second at this size), so a person acting on one of them waits that long.
TICK_CHUNK = 100


# --- the deadline scan -------------------------------------------------------------------------


def escalates_when_overdue(case: Case) -> bool:
    """The flag of the most specific policy row for the case, ranked as `clocks.policy_for`
    ranks them (own category, parent, any; exact urgency, any; exact level, any)."""
    cats = [case.category_id]
    parent = case.category.parent_id
    if parent:
        cats.append(parent)
    rows = list(
        DeadlinePolicy.objects.filter(
            Q(category_id__in=cats) | Q(category__isnull=True),
            Q(urgency=case.urgency) | Q(urgency=""),
            Q(level=case.level) | Q(level=""),
        )
    )
    if not rows:
        return False

    def rank(p: DeadlinePolicy) -> tuple[int, bool, bool]:
        return (
            2 if p.category_id == case.category_id else 1 if p.category_id else 0,
            p.urgency != "",
            p.level != "",
        )

    return max(rows, key=rank).escalate_when_overdue


def _tick(number: str, now: datetime) -> tuple[bool, bool]:
    """One case: recolour it and, when it turned red under an escalating policy, escalate it.
    Returns (changed, escalated). Runs inside the caller's transaction or savepoint."""
    case = case_clock_tick(number=number, now=now)
    if case is None:
        return False, False
    escalated = False
    if case.colour == Colour.RED and escalates_when_overdue(case):
        try:
            with transaction.atomic():
                escalated = case_escalate_overdue(number=number, now=now) is not None
        except DomainError as exc:  # e.g. no centre above: the recolour stays
            log.warning("auto-escalation of %s refused: %s", number, exc)
    return True, escalated


def _tick_chunk(numbers: list[str], now: datetime) -> tuple[int, int]:
    """A chunk of cases in one transaction (one commit, so one fsync, for all of them), each in
    its own savepoint: a case that fails is rolled back alone and logged, the others commit."""
    changed = escalated = 0
    with transaction.atomic():
        for number in numbers:
            try:
                with transaction.atomic():
                    c, e = _tick(number, now)
            except Exception:
                log.exception("deadline tick of %s failed", number)
                continue
            changed += c
            escalated += e
    return changed, escalated


def _tick_one_by_one(numbers: list[str], now: datetime) -> tuple[int, int]:
    changed = escalated = 0
    for number in numbers:
        try:
            with transaction.atomic():
                c, e = _tick(number, now)
        except Exception:
            log.exception("deadline tick of %s failed", number)
            continue
        changed += c
        escalated += e
    return changed, escalated


@contextmanager
def due_plan() -> Iterator[None]:
    """A transaction in which `cases_due` gets its index plan. PostgreSQL estimates the rows of
    each half from whole-table statistics ("due_at <= now" matches 12 % of the table when 12 %
    are red, and it cannot know those are exactly the rows the partial index leaves out), so at
    a million cases it may prefer a sequential scan; sequential scans are switched off for this
    one read-only query (a transaction-local setting, put back afterwards). SQLite needs
    nothing."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cur:
            # Put back what it was: inside a caller's transaction the setting would outlive us.
            cur.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
            (before, _) = cur.fetchone()
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def due_numbers(now: datetime, limit: int = SCAN_LIMIT) -> list[str]:
    """The numbers of the cases due by `now`, earliest deadline first, at most `limit`. Sorted
    here, not by the database (see `cases_due`); the rows are only those due."""
    with due_plan():
        rows = list(cases_due(now).values_list("due_at", "number"))
    rows.sort(key=lambda r: (r[0] is None, r[0] or now, r[1]))
    return [number for _, number in rows[:limit]]


def scan_deadlines(*, now: datetime, limit: int = SCAN_LIMIT, chunk: int = TICK_CHUNK) -> dict[str, int]:
    numbers = due_numbers(now, limit)
    changed = escalated = 0
    for i in range(0, len(numbers), chunk):
        part = numbers[i : i + chunk]
        try:
            c, e = _tick_chunk(part, now)
        except Exception:
            # The chunk's commit itself failed (a serialization failure, a lost connection…):
            # nothing of it stands, so do it again one transaction per case (each tick is
            # idempotent) rather than lose the whole chunk to one cause.
            log.exception("deadline chunk %s…%s failed; ticking it case by case", part[0], part[-1])
            c, e = _tick_one_by_one(part, now)
        changed += c
        escalated += e
    result = {"due": len(numbers), "changed": changed, "escalated": escalated}
    if numbers:
        log.info("deadline scan at %s: %s", now.isoformat(), result)
    return result


@task()
def deadline_scan() -> dict[str, int]:
    return scan_deadlines(now=clock.now())


# --- notifications -----------------------------------------------------------------------------

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


@task()
def notify_fanout() -> dict[str, int]:
    return fan_out(now=clock.now())
