"""Who may read, generate, edit and publish bulletins of a region.

A report covers a whole region's work, so it is for the command centres: a centre user may
read the bulletins of its region's subtree (a township centre reads its own and its
communities', never its county's); leaders, dispatchers and analysts may ask for one; leaders
and dispatchers edit and publish. Department and grid-bound users read none: a report names
every department and grid of the region, more than their own scope.
"""

from __future__ import annotations

from typing import Any

from gridgov.accounts.enums import Role, ScopeKind
from gridgov.accounts.scope import scope_for
from gridgov.core.errors import Forbidden
from gridgov.geo.models import Region

GENERATE_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.ANALYST, Role.ADMIN})
EDIT_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMIN})


def prefix_for(user: Any) -> str | None:
    """The code prefix of the regions whose bulletins the user reads; "" for all, None for none."""
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return ""
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return scope.prefix
    return None


def may_read(user: Any, region: Region) -> bool:
    prefix = prefix_for(user)
    return prefix is not None and region.code.startswith(prefix)


def may_generate(user: Any, region: Region) -> bool:
    return may_read(user, region) and (user.is_superuser or user.role in GENERATE_ROLES)


def may_edit(user: Any, region: Region) -> bool:
    return may_read(user, region) and (user.is_superuser or user.role in EDIT_ROLES)


def check_generate(user: Any, region: Region) -> None:
    if not may_generate(user, region):
        raise Forbidden(
            f"无权生成“{region.name}”的简报",
            f"you may not generate bulletins for {region.code}",
            code="forbidden",
        )


def check_edit(user: Any, region: Region) -> None:
    if not may_edit(user, region):
        raise Forbidden(
            f"无权编辑或发布“{region.name}”的简报",
            f"you may not edit bulletins of {region.code}",
            code="forbidden",
        )
