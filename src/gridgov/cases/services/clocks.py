"""A case's deadlines and colour, recomputed after every act from what is stored on it.

Three clocks (docs/cases.md, "Deadlines"):
- contact: from intake until the first contact with the reporter;
- finish: from intake (or from the last reopening) until the handler reports back;
- feedback: from reporting back until the case is closed.
All stand still while the case is suspended or an extension request waits; an approved
extension lengthens the finish clock. Durations are copied from the policy at intake.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.conf import settings

from gridgov.cases import caches
from gridgov.cases.enums import DONE_STATUSES, CaseStatus, ExtensionStatus, NoticeKind, Urgency
from gridgov.cases.models import Case, CaseExtension, CasePause, Category, DeadlinePolicy, Notice
from gridgov.sla.calendar import DayInfo, WorkCalendar
from gridgov.sla.deadlines import (
    _advance,
    _measure,
    active_time,
    add_business_time,
    colour_for,
    deadline_with_pauses,
    merge_pauses,
)
from gridgov.sla.durations import Duration
from gridgov.sla.enums import Colour, DurationUnit
from gridgov.sla.policies import RULE_131
from gridgov.sla.policies import DeadlinePolicy as Policy
from gridgov.sla.selectors import current_calendar

_SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}
# How long the owner has to answer each sheet.
RESPOND_WITHIN = {
    NoticeKind.WARNING: Duration.workdays(1),
    NoticeKind.ASSIGNMENT: Duration.work_hours(1),
    NoticeKind.SUPERVISION: Duration.workdays(1),
}


def yellow_share() -> float:
    return float(getattr(settings, "GRIDGOV", {}).get("YELLOW_SHARE", 0.8))


def policy_row_for(
    *, category_id: int, parent_id: int | None, urgency: Urgency | str, level: str
) -> DeadlinePolicy | None:
    """The most specific editable policy row: own category before parent before any; then exact
    urgency before any; then exact level before any. Read from the per-process snapshot of the
    policies (cases/caches.py: edits seen within a second)."""
    by_category = caches.policies.get().by_category
    if not by_category:
        return None
    cats = [category_id] + ([parent_id] if parent_id else [])
    rows = [
        p
        for cat in (*cats, None)
        for p in by_category.get(cat, ())
        if p.urgency in (urgency, "") and p.level in (level, "")
    ]
    if not rows:
        return None

    def rank(p: DeadlinePolicy) -> tuple[int, int, int]:
        cat = 2 if p.category_id == category_id else 1 if p.category_id else 0
        return (cat, p.urgency != "", p.level != "")

    return max(rows, key=rank)


def policy_for(*, category: Category, urgency: Urgency | str, level: str) -> Policy:
    """The durations of the most specific policy (`policy_row_for`); none at all: the 131 rule."""
    row = policy_row_for(category_id=category.pk, parent_id=category.parent_id, urgency=urgency, level=level)
    return RULE_131 if row is None else row.as_policy()


Stops = tuple[list[tuple[datetime, datetime]], list[Duration]]


class _DayMemo(WorkCalendar):
    """A calendar that keeps each day's answers once asked. The clocks of one new case ask
    `openings` of the same few days about 25 times (the deadlines, then the yellow moments
    walk the same days again): over half of `clocks_recompute`'s time before (docs/benchmarks.md,
    "Intake"). Exact, because a WorkCalendar is never changed once built: an edit of the
    holidays or business hours makes `current_calendar()` build a new one, and a new one gets a
    new memo. The memo shares the calendar's own state (no copy)."""

    def __init__(self, base: WorkCalendar) -> None:  # no super().__init__(): shares base's state
        self.__dict__.update(base.__dict__)
        self.base = base
        self._infos: dict[date, DayInfo] = {}
        self._openings: dict[date, list[tuple[datetime, datetime]]] = {}

    def info(self, day: date) -> DayInfo:
        found = self._infos.get(day)
        if found is None:
            found = self._infos[day] = super().info(day)
        return found

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        # Callers only iterate over the list (sla/calendar.py, sla/deadlines.py).
        found = self._openings.get(day)
        if found is None:
            found = self._openings[day] = super().openings(day)
        return found


_memo: _DayMemo | None = None
_memo_lock = threading.Lock()


def _calendar() -> WorkCalendar:
    """current_calendar() with its per-day answers kept while it stays current."""
    global _memo
    cal = current_calendar()
    memo = _memo
    if memo is None or memo.base is not cal:
        with _memo_lock:
            memo = _memo
            if memo is None or memo.base is not cal:
                memo = _memo = _DayMemo(cal)
    return memo


def stops_for(case_ids: Sequence[int], now: datetime) -> dict[int, Stops]:
    """Per case: the stretches its clocks stood still (suspensions, extension requests while
    they waited) and its approved extensions, oldest first. One read of each table for all the
    cases, as plain values."""
    found: dict[int, Stops] = {pk: ([], []) for pk in case_ids}
    if not found:
        return found
    for case_id, a, b in (
        CasePause.objects.filter(case_id__in=found)
        .order_by("pk")
        .values_list("case_id", "started_at", "ended_at")
    ):
        found[case_id][0].append((a, b or now))
    for case_id, requested, decided, status, amount, unit in (
        CaseExtension.objects.filter(case_id__in=found)
        .order_by("pk")
        .values_list("case_id", "requested_at", "decided_at", "status", "amount", "unit")
    ):
        found[case_id][0].append((requested, decided or now))
        if status == ExtensionStatus.APPROVED:
            found[case_id][1].append(Duration(amount, DurationUnit(unit)))
    return {pk: ([(a, max(a, b)) for a, b in pauses], ext) for pk, (pauses, ext) in found.items()}


def _stops(case: Case, now: datetime) -> Stops:
    if case.pk is None:
        return [], []
    return stops_for([case.pk], now)[case.pk]


def _share_moment(
    start: datetime,
    deadline: datetime,
    pauses: list[tuple[datetime, datetime]],
    share: float,
    cal: WorkCalendar,
) -> datetime:
    """The first moment at which `share` of the clock's time is used, as colour_for counts it:
    walked forward from `start` over the running stretches between the pauses (one pass over
    the calendar, not a search), then checked with colour_for's own measure."""
    total = active_time(start, deadline, pauses, calendar=cal)
    business = total > timedelta()
    if not business:
        total = active_time(start, deadline, pauses, calendar=cal, business=False)
    if total <= timedelta():
        return deadline
    target = total * share
    moment, remaining = start, target
    for p_from, p_to in merge_pauses(pauses):
        if p_to <= moment:
            continue
        if p_from > moment:
            reached = _advance(moment, remaining, business=business, calendar=cal)
            if reached <= p_from:
                moment = reached
                remaining = timedelta()
                break
            remaining -= _measure(moment, p_from, business=business, calendar=cal)
        moment = p_to
    if remaining > timedelta():
        moment = _advance(moment, remaining, business=business, calendar=cal)
    # Rounding of `total * share` to the microsecond: never answer a moment that is still green.
    while moment < deadline and active_time(start, moment, pauses, calendar=cal, business=business) < target:
        moment += timedelta(seconds=1)
    return min(moment, deadline)


def clocks_recompute(case: Case, *, now: datetime, stops: Stops | None = None) -> tuple[str, str]:
    """Set the case's due times, yellow time and colour (not saved). Returns (old, new) colour.
    `stops`: the case's pauses and extensions when the caller read them already (`stops_for`)."""
    old = case.colour
    case.is_open = case.status not in DONE_STATUSES
    if not case.is_open:
        case.due_at = case.yellow_at = None
        case.colour = ""
        return old, case.colour
    cal = _calendar()
    pauses, extensions = _stops(case, now) if stops is None else stops
    contact, finish, feedback = (
        Duration.parse(case.policy_contact),
        Duration.parse(case.policy_finish),
        Duration.parse(case.policy_feedback),
    )
    assert case.finish_started_at is not None
    case.contact_due_at = deadline_with_pauses(case.created_at, contact, pauses, calendar=cal)
    case.finish_due_at = deadline_with_pauses(
        case.finish_started_at, finish, pauses, calendar=cal, extensions=extensions
    )
    case.feedback_due_at = (
        deadline_with_pauses(case.finished_at, feedback, pauses, calendar=cal) if case.finished_at else None
    )
    running: list[tuple[datetime, datetime]] = []
    if case.contacted_at is None:
        running.append((case.created_at, case.contact_due_at))
    if case.finished_at is None:
        running.append((case.finish_started_at, case.finish_due_at))
    elif case.feedback_due_at is not None:
        running.append((case.finished_at, case.feedback_due_at))
    share = yellow_share()
    # A clock that has not started yet has used none of its time: green unless already past its
    # deadline (colour_for's answer, without measuring; every new case is here).
    colours = [
        (Colour.RED if now > d else Colour.GREEN)
        if now <= s
        else colour_for(now, s, d, calendar=cal, yellow_share=share, pauses=pauses)
        for s, d in running
    ]
    case.colour = max(colours, key=_SEVERITY.__getitem__) if colours else Colour.GREEN
    case.due_at = min((d for _, d in running), default=None)
    case.yellow_at = min((_share_moment(s, d, pauses, share, cal) for s, d in running), default=None)
    if case.status == CaseStatus.SUSPENDED:
        # Frozen: the worker has nothing to watch until it resumes.
        case.due_at = case.yellow_at = None
    return old, case.colour


def notice_build(
    *, case: Case, kind: NoticeKind, now: datetime, text: str = "", issued_by=None, to_department=None,
    respond_by: datetime | None = None,
) -> Notice:  # fmt: skip
    """A sheet for the case's owner, not saved."""
    # By id: the case's owner need not be loaded to address a sheet to it.
    department_id = to_department.pk if to_department is not None else case.owner_department_id
    return Notice(
        case=case,
        kind=kind,
        to_center_id=None if department_id else case.owner_center_id,
        to_department_id=department_id,
        text=text,
        issued_by=issued_by,
        issued_at=now,
        respond_by=respond_by or add_business_time(now, RESPOND_WITHIN[kind], calendar=current_calendar()),
    )


def notice_issue(
    *, case: Case, kind: NoticeKind, now: datetime, text: str = "", issued_by=None, to_department=None,
    respond_by: datetime | None = None,
) -> Notice:  # fmt: skip
    notice = notice_build(
        case=case, kind=kind, now=now, text=text, issued_by=issued_by, to_department=to_department,
        respond_by=respond_by,
    )  # fmt: skip
    notice.save()
    return notice


def colour_notice_build(*, case: Case, old: str, new: str, now: datetime) -> Notice | None:
    """Yellow brings a warning sheet, red a supervision sheet, each once per turn of colour
    (not saved)."""
    if new == old or new not in (Colour.YELLOW, Colour.RED):
        return None
    kind = NoticeKind.WARNING if new == Colour.YELLOW else NoticeKind.SUPERVISION
    text = "时限已用去大部分,请加快办理" if new == Colour.YELLOW else "已超期,请立即办理并说明原因"
    return notice_build(case=case, kind=kind, now=now, text=text)


def colour_notices(*, case: Case, old: str, new: str, now: datetime) -> list[Notice]:
    notice = colour_notice_build(case=case, old=old, new=new, now=now)
    if notice is None:
        return []
    notice.save()
    return [notice]
