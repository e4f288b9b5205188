"""Data scope, written once: what a user may see. Every selector filters through here.

- a superuser sees everything (whatever unit it is bound to);
- a centre user sees its region's whole subtree (codes share the region's prefix);
- a grid worker or police officer sees only the grids they serve; for the map, the chain of
  regions above those grids is readable too, but never their other children or grids;
- a department user sees its own department's work, placed on its region's territory;
- an inactive, anonymous or unbound user sees nothing.

Two kinds of reads use it:
- the territory (regions_visible, grids_visible): what the map and the region pages may show;
- work records of later domains (cases, visits, …) through `scope_filter`, which also applies
  the department rule. Never filter work by `regions_visible`: for a grid worker that set holds
  the city itself (to place the grid on the map), not the right to read the city's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from gridgov.accounts.enums import GRID_BOUND_ROLES, ScopeKind
from gridgov.accounts.models import Center, Department, GridStaff
from gridgov.core.codes import under
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region

M = TypeVar("M", bound=Model)

# GRID_BOUND_ROLES lives in enums now; re-exported for callers that imported it from here.
__all__ = [
    "GRID_BOUND_ROLES",
    "Scope",
    "departments_visible",
    "grids_visible",
    "region_root_for",
    "regions_visible",
    "scope_filter",
    "scope_for",
    "unit_region",
]


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    # The territory's code prefix, for REGION and DEPARTMENT.
    prefix: str | None = None
    region_id: int | None = None
    # The grids served, for GRIDS.
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    grid_codes: frozenset[str] = field(default_factory=frozenset)
    department_id: int | None = None

    @property
    def everything(self) -> bool:
        return self.kind == ScopeKind.EVERYTHING

    @property
    def nothing(self) -> bool:
        return self.kind == ScopeKind.NOTHING or (self.kind == ScopeKind.GRIDS and not self.grid_ids)


NOTHING = Scope(kind=ScopeKind.NOTHING)


# The fields a scope needs. A region's boundary can be a megabyte of GeoJSON (a city outline);
# loading it on every scoped read would cost more than the read itself.
_LIGHT_REGION_FIELDS = ("id", "code", "prefix", "name", "level", "parent_id", "source")


def unit_region(user: Any) -> Region | None:
    if "_unit_region_cache" in vars(user):
        cached: Region | None = vars(user)["_unit_region_cache"]
        return cached
    region_id = None
    if getattr(user, "center_id", None):
        region_id = Center.objects.filter(pk=user.center_id).values_list("region_id", flat=True).first()
    elif getattr(user, "department_id", None):
        region_id = (
            Department.objects.filter(pk=user.department_id).values_list("region_id", flat=True).first()
        )
    region = Region.objects.only(*_LIGHT_REGION_FIELDS).filter(pk=region_id).first() if region_id else None
    user._unit_region_cache = region  # per request: request.user lives as long as the request
    return region


def scope_for(user: Any) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Scope(kind=ScopeKind.EVERYTHING)
    if user.role in GRID_BOUND_ROLES:
        # Their own grids, whatever centre they are attached to: a grid worker of a community
        # must not read the neighbouring grid of the same community.
        rows = list(GridStaff.objects.filter(user=user).values_list("grid_id", "grid__code"))
        return Scope(
            kind=ScopeKind.GRIDS,
            grid_ids=frozenset(pk for pk, _ in rows),
            grid_codes=frozenset(code for _, code in rows),
        )
    # The unit's region id and prefix only: `user.center.region` loaded the region's boundary
    # (a city outline is megabytes of GeoJSON, ~25 ms to decode) on every scoped request.
    if user.department_id:
        region_id, prefix = (
            Department.objects.filter(pk=user.department_id).values_list("region_id", "region__prefix").get()
        )
        return Scope(
            kind=ScopeKind.DEPARTMENT, prefix=prefix, region_id=region_id, department_id=user.department_id
        )
    if user.center_id:
        region_id, prefix = (
            Center.objects.filter(pk=user.center_id).values_list("region_id", "region__prefix").get()
        )
        return Scope(kind=ScopeKind.REGION, prefix=prefix, region_id=region_id)
    return NOTHING


def _ancestor_prefixes(codes: frozenset[str]) -> set[str]:
    # A region is an ancestor of a grid exactly when its prefix begins the grid's code, so
    # every leading slice of the code names one candidate; this needs no assumption about how
    # many digits each level takes.
    return {code[:n] for code in codes for n in range(1, len(code))}


def regions_visible(user: Any, qs: QuerySet[Region] | None = None) -> QuerySet[Region]:
    qs = Region.objects.all() if qs is None else qs
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind in (ScopeKind.REGION, ScopeKind.DEPARTMENT) and scope.prefix is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.kind == ScopeKind.GRIDS and scope.grid_codes:
        return qs.filter(prefix__in=_ancestor_prefixes(scope.grid_codes))
    return qs.none()


def grids_visible(user: Any, qs: QuerySet[Grid] | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.all() if qs is None else qs
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind in (ScopeKind.REGION, ScopeKind.DEPARTMENT) and scope.prefix is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.kind == ScopeKind.GRIDS and scope.grid_ids:
        return qs.filter(pk__in=scope.grid_ids)
    return qs.none()


def departments_visible(user: Any, qs: QuerySet[Department] | None = None) -> QuerySet[Department]:
    """Departments a user may see: a centre those of its subtree, a department only itself."""
    qs = Department.objects.all() if qs is None else qs
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return qs.filter(region__code__startswith=scope.prefix)
    if scope.kind == ScopeKind.DEPARTMENT and scope.department_id is not None:
        return qs.filter(pk=scope.department_id)
    return qs.none()


def scope_filter(
    qs: QuerySet[M], user: Any, *, code_field: str, department_field: str | None = None
) -> QuerySet[M]:
    """Work records (cases, visits, …) a user may read.

    code_field names the record's territory code: its grid's code when it lies in a grid, else
    the code of the region it belongs to. department_field names the department that owns or
    handles it; a department user sees only records whose department is its own, and a
    reader that gives no department_field shows a department user nothing rather than its
    whole region's work.
    """
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return qs.filter(under(code_field, scope.prefix))
    if scope.kind == ScopeKind.GRIDS and scope.grid_codes:
        return qs.filter(**{f"{code_field}__in": scope.grid_codes})
    if scope.kind == ScopeKind.DEPARTMENT and department_field:
        return qs.filter(Q(**{department_field: scope.department_id}))
    return qs.none()


def region_root_for(user: Any) -> Region | None:
    """Where the user's map starts: its unit's region, the smallest region holding all its
    grids, or for a superuser the city (the top of the tree if there are several)."""
    scope = scope_for(user)
    if scope.kind in (ScopeKind.REGION, ScopeKind.DEPARTMENT) and scope.region_id is not None:
        return Region.objects.defer("boundary").get(pk=scope.region_id)
    if scope.kind == ScopeKind.GRIDS and scope.grid_codes:
        holding = [r for r in regions_visible(user) if all(c.startswith(r.prefix) for c in scope.grid_codes)]
        return max(holding, key=lambda r: len(r.prefix), default=None)
    if scope.kind == ScopeKind.EVERYTHING:
        cities = Region.objects.filter(level=RegionLevel.CITY).order_by("code")
        if cities.count() == 1:
            return cities.first()
        return Region.objects.filter(parent__isnull=True).order_by("code").first()
    return None
