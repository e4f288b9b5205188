"""Who may write a register row, and who may read personal data in clear.

Writing: anyone whose data scope covers the row's place (a centre user its region's subtree, a
grid worker or police officer their own grids); a department user writes only the facilities
its department owns. Unmasking: leaders and administrators by role, and anyone given the
explicit permission `registry.unmask_personal_data` (e.g. a police officer, in the admin);
always with a stated reason, always audited (services/unmask.py).
"""

from __future__ import annotations

from typing import Any

from gridgov.accounts.enums import Role, ScopeKind
from gridgov.accounts.scope import scope_for
from gridgov.core.errors import Forbidden
from gridgov.geo.models import Grid, Region

UNMASK_ROLES = frozenset({Role.LEADER, Role.ADMIN})
AUDIT_ROLES = frozenset({Role.ADMIN})
UNMASK_PERMISSION = "registry.unmask_personal_data"
AUDIT_PERMISSION = "registry.view_audit_log"


def may_unmask(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in UNMASK_ROLES or user.has_perm(UNMASK_PERMISSION))


def may_read_audit(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in AUDIT_ROLES or user.has_perm(AUDIT_PERMISSION))


def covers(user: Any, *, community: Region, grid: Grid | None, department_id: int | None = None) -> bool:
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return True
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return community.code.startswith(scope.prefix)
    if scope.kind == ScopeKind.GRIDS:
        return grid is not None and grid.pk in scope.grid_ids
    if scope.kind == ScopeKind.DEPARTMENT:
        return department_id is not None and department_id == scope.department_id
    return False


def check_may_write(
    actor: Any, *, community: Region, grid: Grid | None, department_id: int | None = None
) -> None:
    """actor None is the system itself (an import, the demo): allowed."""
    if actor is None:
        return
    if not covers(actor, community=community, grid=grid, department_id=department_id):
        raise Forbidden("该对象不在您的管辖范围内", "this record lies outside your area")


def may_edit_frequencies(user: Any) -> bool:
    """The frequency table governs everyone's visit duty: leaders and administrators edit it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in UNMASK_ROLES)
