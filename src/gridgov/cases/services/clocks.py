"""A case's deadlines and colour, recomputed after every act from what is stored on it.

Three clocks (docs/cases.md, "Deadlines"):
- contact: from intake until the first contact with the reporter;
- finish: from intake (or from the last reopening) until the handler reports back;
- feedback: from reporting back until the case is closed.
All stand still while the case is suspended or an extension request waits; an approved
extension lengthens the finish clock. Durations are copied from the policy at intake.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from gridgov.cases import caches
from gridgov.cases.enums import DONE_STATUSES, CaseStatus, ExtensionStatus, NoticeKind, Urgency
from gridgov.cases.models import Case, CaseExtension, CasePause, Category, DeadlinePolicy, Notice
from gridgov.sla.calendar import WorkCalendar
from gridgov.sla.deadlines import active_time, add_business_time, colour_for, deadline_with_pauses
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


def policy_for(*, category: Category, urgency: Urgency | str, level: str) -> Policy:
    """The most specific editable policy: own category before parent before any; then exact
    urgency before any; then exact level before any. None at all: the 131 rule. Read from the
    per-process snapshot of the policies (cases/caches.py: edits seen within a second)."""
    by_category = caches.policies.get().by_category
    if not by_category:
        return RULE_131
    cats = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rows = [
        p
        for cat in (*cats, None)
        for p in by_category.get(cat, ())
        if p.urgency in (urgency, "") and p.level in (level, "")
    ]
    if not rows:
        return RULE_131

    def rank(p: DeadlinePolicy) -> tuple[int, int, int]:
        cat = 2 if p.category_id == category.pk else 1 if p.category_id else 0
        return (cat, p.urgency != "", p.level != "")

    return max(rows, key=rank).as_policy()


def _stops(case: Case, now: datetime) -> tuple[list[tuple[datetime, datetime]], list[Duration]]:
    """The stretches the clocks stood still (suspensions, extension requests while they waited)
    and the approved extensions, oldest first: one read of each table, as plain values."""
    if case.pk is None:
        return [], []
    pauses = [
        (a, b or now)
        for a, b in CasePause.objects.filter(case_id=case.pk).values_list("started_at", "ended_at")
    ]
    extensions: list[Duration] = []
    for requested, decided, status, amount, unit in CaseExtension.objects.filter(case_id=case.pk).values_list(
        "requested_at", "decided_at", "status", "amount", "unit"
    ):
        pauses.append((requested, decided or now))
        if status == ExtensionStatus.APPROVED:
            extensions.append(Duration(amount, DurationUnit(unit)))
    return [(a, max(a, b)) for a, b in pauses], extensions


def _share_moment(
    start: datetime,
    deadline: datetime,
    pauses: list[tuple[datetime, datetime]],
    share: float,
    cal: WorkCalendar,
) -> datetime:
    """The first minute at which `share` of the clock's time is used, as colour_for counts it."""
    business = active_time(start, deadline, pauses, calendar=cal) > timedelta()
    total = active_time(start, deadline, pauses, calendar=cal, business=business)
    if total <= timedelta():
        return deadline
    target = total * share
    lo, hi = start, deadline
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if active_time(start, mid, pauses, calendar=cal, business=business) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def clocks_recompute(case: Case, *, now: datetime) -> tuple[str, str]:
    """Set the case's due times, yellow time and colour (not saved). Returns (old, new) colour."""
    old = case.colour
    case.is_open = case.status not in DONE_STATUSES
    if not case.is_open:
        case.due_at = case.yellow_at = None
        case.colour = ""
        return old, case.colour
    cal = current_calendar()
    pauses, extensions = _stops(case, now)
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
    colours = [colour_for(now, s, d, calendar=cal, yellow_share=share, pauses=pauses) for s, d in running]
    case.colour = max(colours, key=_SEVERITY.__getitem__) if colours else Colour.GREEN
    case.due_at = min((d for _, d in running), default=None)
    case.yellow_at = min((_share_moment(s, d, pauses, share, cal) for s, d in running), default=None)
    if case.status == CaseStatus.SUSPENDED:
        # Frozen: the worker has nothing to watch until it resumes.
        case.due_at = case.yellow_at = None
    return old, case.colour


def notice_issue(
    *, case: Case, kind: NoticeKind, now: datetime, text: str = "", issued_by=None, to_department=None,
    respond_by: datetime | None = None,
) -> Notice:  # fmt: skip
    # By id: the case's owner need not be loaded to address a sheet to it.
    department_id = to_department.pk if to_department is not None else case.owner_department_id
    return Notice.objects.create(
        case=case,
        kind=kind,
        to_center_id=None if department_id else case.owner_center_id,
        to_department_id=department_id,
        text=text,
        issued_by=issued_by,
        issued_at=now,
        respond_by=respond_by or add_business_time(now, RESPOND_WITHIN[kind], calendar=current_calendar()),
    )


def colour_notices(*, case: Case, old: str, new: str, now: datetime) -> list[Notice]:
    """Yellow brings a warning sheet, red a supervision sheet, each once per turn of colour."""
    if new == old or new not in (Colour.YELLOW, Colour.RED):
        return []
    kind = NoticeKind.WARNING if new == Colour.YELLOW else NoticeKind.SUPERVISION
    text = "时限已用去大部分,请加快办理" if new == Colour.YELLOW else "已超期,请立即办理并说明原因"
    return [notice_issue(case=case, kind=kind, now=now, text=text)]
