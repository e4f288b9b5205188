"""Territory codes (GB/T 2260 and our longer community and grid codes) are digit strings in which
a subtree is a prefix. Selecting a subtree is the most common filter in the product."""

from __future__ import annotations

from django.db.models import Q


def under(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, written also as a range so that a plain B-tree index answers
    it on every database: SQLite never uses an index for Django's `startswith` (a
    case-insensitive LIKE), PostgreSQL only under the C collation. The LIKE stays as a guard;
    the range is what the planner uses."""
    cond = Q(**{f"{field}__startswith": prefix, f"{field}__gte": prefix})
    digits = prefix.rstrip("9")
    if digits:  # codes are digits: '620102' → below '620103', '6209' → below '621'
        cond &= Q(**{f"{field}__lt": digits[:-1] + chr(ord(digits[-1]) + 1)})
    return cond
