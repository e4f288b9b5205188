"""Per-process caches of the small configuration tables intake reads on every call: categories
(by code, and by id for the deadline worker), routing rules (by region × category) and deadline policies.

Each table is read whole (a few hundred rows at most) into a snapshot that is trusted for
`TTL_SECONDS` (1 s) and then read again: an edit made by another process (another web worker,
the task worker, the admin) is seen by this process at most one second after it was committed.

Edits made in this process (saves and deletes, the admin, cascades; signals below) drop the
snapshot at once and again when they commit, so this process sees its own edits immediately.
An edit that is not committed yet may still be rolled back: the thread that made it reads the
table afresh on every call until its transaction ends, and stores nothing it read meanwhile, so
a snapshot never holds data that was rolled back. Other threads read committed data only.

Not seen through signals: `QuerySet.update()`, `bulk_create()` and raw SQL on these tables;
they are seen within the one second like an edit by another process. `caches_clear()` drops
every snapshot (a bulk load may call it).

The snapshots are shared by threads: treat the model instances in them as read-only.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from gridgov.cases.models import Category, DeadlinePolicy, RoutingRule

TTL_SECONDS = 1.0

T = TypeVar("T")

# The clock of the snapshots (a test may move it; time-machine does not move time.monotonic).
clock: Callable[[], float] = time.monotonic


class Snapshot(Generic[T]):
    """One table (or a view of it) loaded whole, shared by the threads of this process."""

    def __init__(self, name: str, load: Callable[[], T]) -> None:
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None
        self._edits = threading.local()  # .block: outermost atomic block of this thread's edit

    def _edited_here(self) -> bool:
        block = getattr(self._edits, "block", None)
        if block is None:
            return False
        blocks = connection.atomic_blocks
        if blocks and blocks[0] is block:
            return True
        self._edits.block = None  # that transaction is over (committed or rolled back)
        return False

    def get(self) -> T:
        if self._edited_here():
            return self._load()  # our own uncommitted edit: read through, keep nothing
        now = clock()
        cached = self._value
        if cached is not None and now - cached[0] < TTL_SECONDS:
            return cached[1]
        value = self._load()
        with self._lock:
            # Stamped with the time the read began: an edit committed meanwhile is seen at most
            # TTL_SECONDS after its commit.
            if self._value is None or self._value[0] < now:
                self._value = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._value = None

    def edited(self) -> None:
        """An edit of the table by this thread: drop the snapshot now and when it commits."""
        self.clear()
        if connection.in_atomic_block:
            self._edits.block = connection.atomic_blocks[0]
            transaction.on_commit(self.clear)


# --- the tables -------------------------------------------------------------------------------


def _categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.all()}


def _categories_by_id() -> dict[int, Category]:
    return {c.pk: c for c in Category.objects.all()}


def _rules() -> dict[tuple[int, int], RoutingRule]:
    rows = (
        RoutingRule.objects.filter(active=True)
        .select_related("department__region", "center__region")
        .defer("department__region__boundary", "center__region__boundary")
    )
    return {(r.region_id, r.category_id): r for r in rows}


@dataclass(frozen=True)
class Policies:
    by_category: dict[int | None, list[DeadlinePolicy]]


def _policies() -> Policies:
    by_category: defaultdict[int | None, list[DeadlinePolicy]] = defaultdict(list)
    for p in DeadlinePolicy.objects.order_by("pk"):
        by_category[p.category_id].append(p)
    return Policies(dict(by_category))


categories: Snapshot[dict[str, Category]] = Snapshot("categories", _categories)
categories_by_id: Snapshot[dict[int, Category]] = Snapshot("categories_by_id", _categories_by_id)
routing_rules: Snapshot[dict[tuple[int, int], RoutingRule]] = Snapshot("routing_rules", _rules)
policies: Snapshot[Policies] = Snapshot("policies", _policies)
ALL = (categories, categories_by_id, routing_rules, policies)


def category_by_code(code: str) -> Category | None:
    return categories.get().get(code)


def category_by_id(pk: int) -> Category | None:
    return categories_by_id.get().get(pk)


def caches_clear() -> None:
    for snapshot in ALL:
        snapshot.clear()


# --- invalidation in this process ------------------------------------------------------------


def _category_changed(sender: Any, **kwargs: Any) -> None:
    # Rules and policies hold their category's id only, but a deleted category takes its rules
    # and policies with it (CASCADE, each with its own signal); a renamed one changes nothing there.
    categories.edited()
    categories_by_id.edited()


def _rule_changed(sender: Any, **kwargs: Any) -> None:
    routing_rules.edited()


def _policy_changed(sender: Any, **kwargs: Any) -> None:
    policies.edited()


def _flushed(sender: Any, **kwargs: Any) -> None:
    # `flush` (and the test runner's flush between transactional tests) ends in post_migrate.
    caches_clear()


for _signal, _what in ((post_save, "saved"), (post_delete, "deleted")):
    _signal.connect(_category_changed, sender=Category, dispatch_uid=f"gridgov.caches.category_{_what}")
    _signal.connect(_rule_changed, sender=RoutingRule, dispatch_uid=f"gridgov.caches.rule_{_what}")
    _signal.connect(_policy_changed, sender=DeadlinePolicy, dispatch_uid=f"gridgov.caches.policy_{_what}")
post_migrate.connect(_flushed, dispatch_uid="gridgov.caches.flushed")
