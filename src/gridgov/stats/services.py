"""The only writers of the summary tables: the incremental reader of the case events, the
from-scratch rebuild, and the recount that `stats verify` compares with.

Why retract-and-add: a case's counters depend on its whole state (a reopening takes back a
closure, a late rating moves satisfaction, a dispatch changes the department), so each event
recomputes the case's contribution from its stored fields (`contribution.py`) and applies the
difference from what the case had added before (kept in its `CaseFact`). Handling an event
twice, or out of order, therefore changes nothing, and the tables equal a recount whenever
every event has been read. The recent counts (`Recent`: words and hexagons of the last two
weeks) follow the same rule, from the words and cell the fact kept; days that fall out of the
kept window are neither taken back nor added, and are deleted on each run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import Length, TruncDate
from django.utils import timezone

from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case, CaseEvent
from gridgov.notify.models import OutboxCursor
from gridgov.notify.services import outbox_process
from gridgov.stats.contribution import (
    INTAKE_ONLY,
    PREFIX_LENGTHS,
    Contribution,
    Days,
    Dims,
    contributions_for,
    recent_start,
    rollup_keys,
    top_categories,
)
from gridgov.stats.models import COUNTERS, CaseFact, Cell, Recent, RecentDim, Rollup
from gridgov.stats.recent import heat_cell

log = logging.getLogger("gridgov.stats")

CURSOR = "stats.event"
# Present once the recent counts were counted from the cases: a database that had cases before
# the table existed gets them on its next refresh (as a database without CURSOR gets a rebuild).
RECENT_MARK = "stats.recent"
REBUILD_CHUNK = 2000  # cases read per query
REBUILD_PART = 50_000  # cases counted in memory before their rows are written

CellKey = tuple[str, str, int, int, str]  # territory, day, department, category, channel
RollupKey = tuple[str, str, str, str]  # code, dim, key, day
RecentKey = tuple[str, str, str, str]  # code, dim, day, key
Amounts = dict[str, int]


def _merge(into: dict[Any, Amounts], key: Any, amounts: Amounts, sign: int = 1) -> None:
    row = into.setdefault(key, {})
    for name, amount in amounts.items():
        row[name] = row.get(name, 0) + sign * amount


def spread(dims: Dims, days: Days, sign: int, cells: dict[Any, Amounts], rollups: dict[Any, Amounts]) -> None:
    """Add (sign 1) or take back (sign -1) a case's counters into keyed amounts."""
    keys = rollup_keys(dims)
    for day, amounts in days.items():
        _merge(
            cells, (dims.territory, day, dims.department_id, dims.category_id, dims.channel), amounts, sign
        )
        for code, dim, key in keys:
            _merge(rollups, (code, dim, key, day), amounts, sign)


def spread_recent(
    territory: str,
    day: date,
    words: Iterable[str],
    cell: str,
    sign: int,
    since: date,
    into: dict[Any, Amounts],
) -> None:
    """Add (sign 1) or take back (sign -1) a case's words, hexagon and territory on its
    received day, for every ancestor code of its territory; nothing for a day no longer kept."""
    if day < since:
        return
    iso = day.isoformat()
    for n in PREFIX_LENGTHS:
        if n > len(territory):
            break
        code = territory[:n]
        for word in words:
            _merge(into, (code, RecentDim.WORD.value, iso, word), {"cases": 1}, sign)
        if cell:
            _merge(into, (code, RecentDim.HEAT.value, iso, heat_cell(cell, n)), {"cases": 1}, sign)
        _merge(into, (code, RecentDim.PLACE.value, iso, territory), {"cases": 1}, sign)


def _upsert(
    model: type[Cell] | type[Rollup] | type[Recent],
    key_fields: tuple[str, ...],
    rows: dict[Any, Amounts],
    counters: tuple[str, ...] = COUNTERS,
) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c (SQLite ≥ 3.24 and PostgreSQL)."""
    rows = {k: v for k, v in rows.items() if any(v.values())}
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = [*key_fields, *counters]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters)
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "  # noqa: S608 - our own table and columns
        f"ON CONFLICT ({', '.join(key_fields)}) DO UPDATE SET {sets}"
    )
    params = [[*key, *(amounts.get(c, 0) for c in counters)] for key, amounts in rows.items()]
    with connection.cursor() as cur:
        cur.executemany(sql, params)


CELL_KEY = ("territory", "day", "department_id", "category_id", "channel")
ROLLUP_KEY = ("code", "dim", "key", "day")  # ON CONFLICT names a set: the index order may differ
RECENT_KEY = ("code", "dim", "day", "key")
RECENT_COUNTERS = ("cases",)


def _write(cells: dict[Any, Amounts], rollups: dict[Any, Amounts], recent: dict[Any, Amounts]) -> None:
    _upsert(Cell, CELL_KEY, cells)
    _upsert(Rollup, ROLLUP_KEY, rollups)
    _upsert(Recent, RECENT_KEY, recent, RECENT_COUNTERS)


def _fact_from(case_id: int, c: Contribution) -> CaseFact:
    return CaseFact(
        case_id=case_id,
        territory=c.dims.territory,
        department_id=c.dims.department_id,
        category_id=c.dims.category_id,
        top_category_id=c.dims.top_category_id,
        channel=c.dims.channel,
        received_day=c.received_day,
        is_open=c.is_open,
        overdue=c.overdue,
        days=c.days,
        words=list(c.words),
        cell=c.cell,
    )


def _dims_of(fact: CaseFact) -> Dims:
    return Dims(fact.territory, fact.department_id, fact.category_id, fact.top_category_id, fact.channel)


def case_fact_refresh(
    *, case_id: int, created_event: bool, top: dict[int, int] | None = None, since: date | None = None
) -> bool:
    """Bring the tables up to date with one case. Returns whether anything changed.

    A case without a fact row either was never seen, or became final and was dropped: a final
    case is added only on its `create` event (its first), so reading any later event again adds
    nothing twice."""
    since = recent_start() if since is None else since
    new = contributions_for([case_id], top=top, since=since).get(case_id)
    fact = CaseFact.objects.select_for_update().filter(case_id=case_id).first()
    if new is None:  # not visible (cannot happen for a committed event; be safe)
        return False
    if fact is None and new.final and not created_event:
        return False
    cells: dict[Any, Amounts] = {}
    rollups: dict[Any, Amounts] = {}
    recent: dict[Any, Amounts] = {}
    if fact is not None:
        spread(_dims_of(fact), fact.days, -1, cells, rollups)
        spread_recent(fact.territory, fact.received_day, fact.words, fact.cell, -1, since, recent)
    spread(new.dims, new.days, 1, cells, rollups)
    spread_recent(new.dims.territory, new.received_day, new.words, new.cell, 1, since, recent)
    _write(cells, rollups, recent)
    fresh = _fact_from(case_id, new)
    if new.final:
        CaseFact.objects.filter(case_id=case_id).delete()
    elif fact is None:
        fresh.save(force_insert=True)
    elif _fact_values(fact) != _fact_values(fresh):
        fresh.save(force_update=True)
    changed = any(any(v.values()) for v in (*cells.values(), *recent.values()))
    return changed or fact is None or new.final


def _fact_values(f: CaseFact, since: date | None = None) -> tuple[Any, ...]:
    """The fact's fields to compare; with `since`, its recent part only while its day is kept
    (a fact whose day has left the window keeps what it added until its next event)."""
    recent = (list(f.words), f.cell) if since is None or f.received_day >= since else ([], "")
    return (f.territory, f.department_id, f.category_id, f.top_category_id, f.channel,
            f.received_day, f.is_open, f.overdue, f.days, *recent)  # fmt: skip


def recent_prune(since: date) -> int:
    """Delete the recent counts of the days no longer kept."""
    deleted, _ = Recent.objects.filter(day__lt=since).delete()
    return deleted


def stats_refresh() -> int:
    """Read the case events not yet read and apply them. The first run rebuilds from scratch.
    Returns the number of events read."""
    if not OutboxCursor.objects.filter(name=CURSOR).exists():
        stats_rebuild()
        return 0
    if not OutboxCursor.objects.filter(name=RECENT_MARK).exists():
        recent_rebuild()
    top = top_categories()  # read once per run: the taxonomy is edited rarely
    since = recent_start()
    recent_prune(since)

    def handle(event: CaseEvent) -> None:
        case_fact_refresh(
            case_id=event.case_id, created_event=event.action == CaseAction.CREATE, top=top, since=since
        )

    return outbox_process(
        name=CURSOR, queryset=CaseEvent.objects.only("id", "case_id", "action"), handle=handle
    )


# --- recount and rebuild -----------------------------------------------------------------------


@dataclass
class Recount:
    cells: dict[CellKey, Amounts] = field(default_factory=dict)
    rollups: dict[RollupKey, Amounts] = field(default_factory=dict)
    facts: dict[int, CaseFact] = field(default_factory=dict)
    recent: dict[RecentKey, Amounts] = field(default_factory=dict)


def _case_ids(prefix: str, qs: Any = None) -> Iterator[list[int]]:
    qs = (Case.objects.all() if qs is None else qs).order_by("pk")
    if prefix:
        qs = qs.filter(territory_code__startswith=prefix)
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last).values_list("pk", flat=True)[:REBUILD_CHUNK])
        if not ids:
            return
        yield ids
        last = ids[-1]


def recount_parts(*, prefix: str = "", since: date, cases_per_part: int = REBUILD_PART) -> Iterator[Recount]:
    """What the tables should hold for the cases under `prefix`, counted from the cases, in
    parts of about `cases_per_part` cases (the same cell can occur in two parts: add them)."""
    top = top_categories()
    part = Recount()
    seen = 0
    for ids in _case_ids(prefix):
        for case_id, c in contributions_for(ids, top=top, since=since).items():
            spread(c.dims, c.days, 1, part.cells, part.rollups)
            spread_recent(c.dims.territory, c.received_day, c.words, c.cell, 1, since, part.recent)
            if not c.final:
                part.facts[case_id] = _fact_from(case_id, c)
        seen += len(ids)
        if seen >= cases_per_part:
            yield part
            part, seen = Recount(), 0
    yield part


def recount(*, prefix: str = "", since: date) -> Recount:
    whole = Recount()
    for part in recount_parts(prefix=prefix, since=since):
        for cell, amounts in part.cells.items():
            _merge(whole.cells, cell, amounts)
        for rollup, amounts in part.rollups.items():
            _merge(whole.rollups, rollup, amounts)
        for row, amounts in part.recent.items():
            _merge(whole.recent, row, amounts)
        whole.facts.update(part.facts)
    if prefix:  # rollups above the prefix also hold other subtrees' cases
        whole.rollups = {k: v for k, v in whole.rollups.items() if k[0].startswith(prefix)}
        whole.recent = {k: v for k, v in whole.recent.items() if k[0].startswith(prefix)}
    return whole


def stats_rebuild() -> dict[str, int]:
    """Empty the tables and count everything again from the cases, in one transaction, with
    the reader's cursor locked and then set past the last event (so nothing is counted twice).
    Counted in parts and added with upserts, so memory stays bounded whatever the volume."""
    with transaction.atomic():
        cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(name=CURSOR)
        last = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
        CaseFact.objects.all().delete()
        Cell.objects.all().delete()
        Rollup.objects.all().delete()
        Recent.objects.all().delete()
        facts = 0
        for part in recount_parts(since=recent_start()):
            _write(part.cells, part.rollups, part.recent)
            CaseFact.objects.bulk_create(part.facts.values(), batch_size=2000)
            facts += len(part.facts)
        cursor.last_id, cursor.gaps = last, []
        cursor.save()
        OutboxCursor.objects.get_or_create(name=RECENT_MARK)
    return {
        "cells": Cell.objects.count(),
        "rollups": Rollup.objects.count(),
        "facts": facts,
        "recent": Recent.objects.count(),
    }


def recent_rebuild() -> int:
    """Count the recent table again from the cases registered in the kept days, and the words
    and cells of their open facts, with the reader's cursor locked (a refresh waits). Only two
    weeks of cases: what the first refresh after the table was added runs. Returns its rows."""
    since = recent_start()
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    top = top_categories()
    with transaction.atomic():
        OutboxCursor.objects.select_for_update().filter(name=CURSOR).first()
        Recent.objects.all().delete()
        for ids in _case_ids("", Case.objects.filter(created_at__gte=start)):
            counted = contributions_for(ids, top=top, since=since)
            recent: dict[Any, Amounts] = {}
            for c in counted.values():
                spread_recent(c.dims.territory, c.received_day, c.words, c.cell, 1, since, recent)
            _upsert(Recent, RECENT_KEY, recent, RECENT_COUNTERS)
            facts = list(CaseFact.objects.filter(case_id__in=ids))
            for fact in facts:
                fact.words, fact.cell = list(counted[fact.case_id].words), counted[fact.case_id].cell
            CaseFact.objects.bulk_update(facts, ["words", "cell"], batch_size=2000)
        OutboxCursor.objects.get_or_create(name=RECENT_MARK)
    return Recent.objects.count()


# --- verify --------------------------------------------------------------------------------------


def _stored(
    key_fields: tuple[str, ...], qs: Iterable[Any], counters: tuple[str, ...] = COUNTERS
) -> dict[Any, Amounts]:
    out: dict[Any, Amounts] = {}
    for row in qs.values(*key_fields, *counters):  # type: ignore[attr-defined]
        key = tuple(row[k].isoformat() if isinstance(row[k], date) else row[k] for k in key_fields)
        amounts = {c: row[c] for c in counters if row[c]}
        if amounts:
            out[key] = amounts
    return out


def _clean(rows: dict[Any, Amounts]) -> dict[Any, Amounts]:
    return {k: {c: a for c, a in v.items() if a} for k, v in rows.items() if any(v.values())}


def _diff(label: str, want: dict[Any, Amounts], have: dict[Any, Amounts], out: list[str], limit: int) -> None:
    for key in sorted(set(want) | set(have), key=str):
        w, h = want.get(key, {}), have.get(key, {})
        if w != h:
            if len(out) < limit:
                fields = sorted(set(w) | set(h))
                detail = ", ".join(
                    f"{f}: {h.get(f, 0)} ≠ {w.get(f, 0)}" for f in fields if w.get(f, 0) != h.get(f, 0)
                )
                out.append(f"{label} {key}: {detail} (表中 stored ≠ 重算 recount)")
            else:
                out.append("…")
                return


def stats_verify(*, prefix: str = "", limit: int = 50) -> list[str]:
    """The differences between the tables and a recount from the cases (empty: they agree).
    Besides the shared rule, intake and closures per day are also counted with a plain GROUP BY
    over the cases table, so a wrong rule for those two cannot hide."""
    since = recent_start()
    counted = recount(prefix=prefix, since=since)
    out: list[str] = []
    cells = Cell.objects.filter(territory__startswith=prefix) if prefix else Cell.objects.all()
    rollups = Rollup.objects.filter(code__startswith=prefix) if prefix else Rollup.objects.all()
    _diff("cell", _clean(counted.cells), _stored(CELL_KEY, cells), out, limit)
    _diff("rollup", _clean(counted.rollups), _stored(ROLLUP_KEY, rollups), out, limit)
    # Only the kept days: older rows wait for the reader's next pruning, and are never read.
    recent = Recent.objects.filter(code__startswith=prefix, day__gte=since)
    _diff("recent", _clean(counted.recent), _stored(RECENT_KEY, recent, RECENT_COUNTERS), out, limit)
    facts = CaseFact.objects.filter(territory__startswith=prefix) if prefix else CaseFact.objects.all()
    have_facts = {f.case_id: _fact_values(f, since) for f in facts}
    want_facts = {k: _fact_values(f, since) for k, f in counted.facts.items()}
    for case_id in sorted(set(have_facts) | set(want_facts)):
        if have_facts.get(case_id) != want_facts.get(case_id) and len(out) < limit:
            out.append(f"fact case {case_id}: {have_facts.get(case_id)} ≠ {want_facts.get(case_id)}")
    out += _plain_check(prefix, rollups)
    return out


def _plain_check(prefix: str, rollups: Any) -> list[str]:
    cases = Case.objects.filter(territory_code__startswith=prefix) if prefix else Case.objects.all()
    tz = timezone.get_current_timezone()
    want: dict[str, dict[str, int]] = defaultdict(dict)
    for row in cases.annotate(d=TruncDate("created_at", tzinfo=tz)).values("d").annotate(n=Count("id")):
        want[row["d"].isoformat()]["intake"] = row["n"]
    closed = cases.filter(closed_at__isnull=False).exclude(status__in=INTAKE_ONLY)
    for row in closed.annotate(d=TruncDate("closed_at", tzinfo=tz)).values("d").annotate(n=Count("id")):
        want[row["d"].isoformat()]["closed"] = row["n"]
    # The totals of the shallowest rollup codes under the prefix hold each case once.
    shallowest = min(n for n in PREFIX_LENGTHS if n >= len(prefix))
    have: dict[str, dict[str, int]] = {}
    top = (
        rollups.filter(dim="")
        .annotate(n=Length("code"))
        .filter(n=shallowest)
        .values("day")
        .annotate(intake=Sum("intake"), closed=Sum("closed"))
    )
    for row in top:
        have[row["day"].isoformat()] = {k: row[k] for k in ("intake", "closed") if row[k]}
    return [
        f"plain GROUP BY {day}: {have.get(day)} ≠ {dict(want.get(day, {}))} (表中 stored ≠ 重算 recount)"
        for day in sorted(set(want) | set(have))
        if dict(want.get(day, {})) != have.get(day, {})
    ]
