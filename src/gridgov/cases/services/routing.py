"""Who a new case goes to: the category's routing rule for the nearest region that has one
(the category's own rule before its parent's), else nobody, and the case stays with the centre
of its level (兜底)."""

from __future__ import annotations

from collections.abc import Sequence

from gridgov.accounts.models import Center
from gridgov.cases.models import Category, RoutingRule


def routing_rule_for(*, category: Category, region_ids: Sequence[int]) -> RoutingRule | None:
    """region_ids from the top of the tree down to the case's own region."""
    categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rules = list(
        RoutingRule.objects.filter(active=True, category_id__in=categories, region_id__in=region_ids)
        .select_related("department__region", "center__region")
        .defer("department__region__boundary", "center__region__boundary")
    )
    if not rules:
        return None
    depth = {rid: i for i, rid in enumerate(region_ids)}
    return max(rules, key=lambda r: (depth[r.region_id], r.category_id == category.pk))


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
