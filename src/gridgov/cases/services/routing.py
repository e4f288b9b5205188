"""Who a new case goes to: the category's routing rule for the nearest region that has one
(the category's own rule before its parent's), else nobody, and the case stays with the centre
of its level (兜底)."""

from __future__ import annotations

from collections.abc import Sequence

from gridgov.accounts.models import Center
from gridgov.cases import caches
from gridgov.cases.models import Category, RoutingRule


def routing_rule_for(*, category: Category, region_ids: Sequence[int]) -> RoutingRule | None:
    """region_ids from the top of the tree down to the case's own region. Read from the
    per-process snapshot of the active rules (cases/caches.py: edits seen within a second)."""
    rules = caches.routing_rules.get()
    if not rules:
        return None
    own, parent = category.pk, category.parent_id
    # The deepest region with a rule wins; in one region the category's own rule before its parent's.
    for region_id in reversed(region_ids):
        rule = rules.get((region_id, own)) or (rules.get((region_id, parent)) if parent else None)
        if rule is not None:
            return rule
    return None


def center_for(region_ids: Sequence[int], *, deepest: int | None = None) -> Center | None:
    """The centre of the deepest region of the chain (no deeper than index `deepest`) that has
    one: a region without its own centre is served by the centre above it."""
    chain = list(region_ids if deepest is None else region_ids[: deepest + 1])
    centers = {
        c.region_id: c
        for c in Center.objects.filter(region_id__in=chain).select_related("region").defer("region__boundary")
    }
    for rid in reversed(chain):
        if rid in centers:
            return centers[rid]
    return None
