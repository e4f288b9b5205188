"""Background jobs of the cases domain, run by `gridgov worker` (docs/worker.md).

- `deadline_scan`: finds the open cases whose colour must change (`selectors.cases_due`, two
  range scans on partial indexes that hold only the cases not yet red / still green; when
  nothing changed that is the whole job) and recolours each through `case_clock_tick`, which
  writes the recolour event and its sheet (预警单 at yellow, 督办单 at red). A case that turns
  red under a policy with `escalate_when_overdue` is escalated to the centre above in the same
  savepoint. Cases are ticked `TICK_CHUNK` per transaction, each in its own savepoint.
- `notify_fanout`: reads the CaseEvent and Notice tables as outboxes and sends notifications
  (`cases/fanout.py`).

Both may run twice for the same work (a reclaimed task, two schedulers racing): each step is
idempotent. The tick locks the case and changes nothing the second time; notifications are
unique per (user, cause).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django_tasks import task

from gridgov.cases.fanout import fan_out
from gridgov.cases.models import Case, DeadlinePolicy
from gridgov.cases.selectors import cases_due
from gridgov.cases.services import case_clock_tick
from gridgov.cases.services.loop import case_escalate_overdue
from gridgov.core import clock
from gridgov.core.errors import DomainError
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


@task()
def notify_fanout() -> dict[str, int]:
    return fan_out(now=clock.now())
