"""Background jobs of the cases domain, run by `gridgov worker` (docs/worker.md).

- `deadline_scan`: finds the open cases whose colour must change (`selectors.cases_due`, two
  range scans on partial indexes that hold only the cases not yet red / still green; when
  nothing changed that is the whole job) and recolours them `TICK_CHUNK` per transaction, read
  and written in bulk (`_tick_chunk`): the same outcome per case as `case_clock_tick`, a
  recolour event and its sheet (预警单 at yellow, 督办单 at red) per change. A case that turns
  red under a policy with `escalate_when_overdue` is escalated to the centre above in the same
  transaction, in a savepoint of its own. A chunk that fails is done again case by case, each
  case in its own transaction through `case_clock_tick`.
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
from django_tasks import task

from gridgov.cases import caches
from gridgov.cases.enums import CaseAction, CaseStatus
from gridgov.cases.fanout import fan_out
from gridgov.cases.models import Case, CaseEvent, Notice
from gridgov.cases.selectors import cases_due
from gridgov.cases.services import case_clock_tick
from gridgov.cases.services.clocks import clocks_recompute, colour_notice_build, policy_row_for, stops_for
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
    """The flag of the most specific policy row for the case, chosen as `clocks.policy_for`
    chooses (own category, parent, any; exact urgency, any; exact level, any), from the
    per-process snapshots (cases/caches.py): no query."""
    category = caches.category_by_id(case.category_id)
    row = policy_row_for(
        category_id=case.category_id,
        parent_id=category.parent_id if category is not None else None,
        urgency=case.urgency,
        level=case.level,
    )
    return row is not None and row.escalate_when_overdue


def _escalate(number: str, now: datetime) -> bool:
    """Escalate a case that just turned red, in its own savepoint. False when refused."""
    try:
        with transaction.atomic():
            return case_escalate_overdue(number=number, now=now) is not None
    except DomainError as exc:  # e.g. no centre above: the recolour stays
        log.warning("auto-escalation of %s refused: %s", number, exc)
        return False


def _tick(number: str, now: datetime) -> tuple[bool, bool]:
    """One case: recolour it and, when it turned red under an escalating policy, escalate it.
    Returns (changed, escalated). Runs inside the caller's transaction or savepoint."""
    case = case_clock_tick(number=number, now=now)
    if case is None:
        return False, False
    escalated = case.colour == Colour.RED and escalates_when_overdue(case) and _escalate(number, now)
    return True, escalated


# The columns a recolour may change (clocks_recompute's, plus the version and the time).
RECOLOUR_FIELDS = (
    "is_open", "contact_due_at", "finish_due_at", "feedback_due_at", "due_at", "yellow_at", "colour",
    "version", "updated_at",
)  # fmt: skip


def _write_recolours(cases: list[Case]) -> None:
    """One UPDATE statement run for every case with its own values (executemany: pipelined on
    PostgreSQL). Not `bulk_update`: its CASE WHEN per column and row costs more to build and to
    run than the whole rest of the tick."""
    qn = connection.ops.quote_name
    fields = [f for f in Case._meta.concrete_fields if f.name in RECOLOUR_FIELDS]
    sets = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
    pk = qn(str(Case._meta.pk.column))
    sql = f"UPDATE {qn(Case._meta.db_table)} SET {sets} WHERE {pk} = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(c, f.attname), connection) for f in fields] + [c.pk] for c in cases]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _tick_chunk(numbers: list[str], now: datetime) -> tuple[int, int]:
    """A chunk of cases in one transaction, read and written in bulk: the cases locked with one
    query, their pauses and extensions read with two, the colours computed here, then the cases
    whose colour changed written by one UPDATE statement, their RECOLOUR events and their sheets
    by one INSERT each. The same outcome, case by case, as `case_clock_tick` (one event and at most one
    sheet per change; a case whose colour did not change is not written). Escalations follow,
    each in its own savepoint. Any failure of the bulk part rolls the whole chunk back and the
    caller does it again case by case."""
    changed: list[tuple[Case, str, str]] = []
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .filter(number__in=numbers, is_open=True)
            .exclude(status=CaseStatus.SUSPENDED)
            .order_by("pk")  # every worker locks in the same order: two chunks wait, never deadlock
        )
        stops = stops_for([c.pk for c in cases], now)
        for case in cases:
            old, new = clocks_recompute(case, now=now, stops=stops[case.pk])
            if old == new:
                continue
            case.version += 1
            case.updated_at = now
            changed.append((case, old, new))
        if changed:
            _write_recolours([c for c, _, _ in changed])
            CaseEvent.objects.bulk_create([
                CaseEvent(
                    case=case, action=CaseAction.RECOLOUR, from_status=case.status, to_status=case.status,
                    data={"colour": [old, new]}, at=now,
                )
                for case, old, new in changed
            ])  # fmt: skip
            notices = [
                colour_notice_build(case=case, old=old, new=new, now=now) for case, old, new in changed
            ]
            Notice.objects.bulk_create([n for n in notices if n is not None])
        escalated = sum(
            _escalate(case.number, now)
            for case, _, new in changed
            if new == Colour.RED and escalates_when_overdue(case)
        )
    return len(changed), escalated


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
