"""Data scope, written once: what a user may see. Every selector filters through here.

- a centre user sees its region's whole subtree (codes share the region's prefix);
- a grid worker, police officer or volunteer sees only the grids they serve (and the chain of
  regions above them, so the map can place them);
- a department user sees its region's territory (to place its work) and, in later domains,
  only its own department's work;
- a superuser sees everything; an unbound user sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff, User
from gridgov.geo.models import Grid, Region

# Roles whose view is their own grids, whatever centre they are attached to.
GRID_BOUND_ROLES = frozenset({Role.GRID_WORKER, Role.POLICE})
_OWN_GRID_DUTIES = (GridDuty.WORKER, GridDuty.POLICE, GridDuty.VOLUNTEER)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    prefix: str | None = None
    grid_ids: frozenset[int] | None = None
    department_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.prefix is None and self.grid_ids is None


def unit_region(user: User) -> Region | None:
    if user.center_id:
        return user.center.region
    if user.department_id:
        return user.department.region
    return None


def scope_for(user: User) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.role in GRID_BOUND_ROLES:
        ids = GridStaff.objects.filter(user=user, duty__in=_OWN_GRID_DUTIES).values_list("grid_id", flat=True)
        return Scope(grid_ids=frozenset(ids))
    region = unit_region(user)
    if region is not None:
        return Scope(prefix=region.prefix, department_id=user.department_id)
    if user.is_superuser:
        return Scope(everything=True)
    return Scope()


def _ancestor_codes(grid_code: str) -> set[str]:
    return {grid_code[:12], grid_code[:9], grid_code[:6], grid_code[:4] + "00", grid_code[:2] + "0000"}


def regions_visible(user: User, qs: QuerySet[Region] | None = None) -> QuerySet[Region]:
    qs = Region.objects.all() if qs is None else qs
    scope = scope_for(user)
    if scope.everything:
        return qs
    if scope.prefix is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.grid_ids:
        codes: set[str] = set()
        for code in Grid.objects.filter(pk__in=scope.grid_ids).values_list("code", flat=True):
            codes |= _ancestor_codes(code)
        return qs.filter(code__in=codes)
    return qs.none()


def grids_visible(user: User, qs: QuerySet[Grid] | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.all() if qs is None else qs
    scope = scope_for(user)
    if scope.everything:
        return qs
    if scope.prefix is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.grid_ids:
        return qs.filter(pk__in=scope.grid_ids)
    return qs.none()


def region_root_for(user: User) -> Region | None:
    """Where the user's map starts: its unit's region, or the top of what it may see."""
    region = unit_region(user)
    if region is not None and user.role not in GRID_BOUND_ROLES:
        return region
    return regions_visible(user).order_by("code").filter(Q(parent__isnull=True) | Q(level="city")).first() or (
        regions_visible(user).order_by("code").first()
    )
