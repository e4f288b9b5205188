"""Where the screen stands: a region of the user's subtree or one of its grids, with the
breadcrumb above it and the places one click below it.

The screen is a command centre's tool: a centre user (or a superuser) opens it for its own
region and anything below. Grid workers and department users have their own pages; their
scope is not a territory a wall screen can show whole, so they are refused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import grids_visible, region_root_for, regions_visible, scope_filter, scope_for
from gridgov.cases.models import Case
from gridgov.core.errors import Forbidden, NotFound
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region

GRID_LEVEL = "grid"
# The light columns of a region or grid: a boundary can be megabytes (a city outline).
_LIGHT = ("id", "code", "prefix", "name", "level", "parent_id")
_LIGHT_GRID = ("id", "code", "name", "community_id")


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str  # a RegionLevel value, or "grid"
    # What every case in this place has its territory code start with.
    prefix: str
    region: Region | None = None
    grid: Grid | None = None

    @property
    def is_grid(self) -> bool:
        return self.grid is not None

    @property
    def level_label(self) -> str:
        return "网格" if self.is_grid else RegionLevel(self.level).label

    def out(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "level_label": self.level_label,
            "prefix": self.prefix,
        }


def _region_place(region: Region) -> Place:
    return Place(code=region.code, name=region.name, level=region.level, prefix=region.prefix, region=region)


def _grid_place(grid: Grid) -> Place:
    return Place(code=grid.code, name=grid.name, level=GRID_LEVEL, prefix=grid.code, grid=grid)


def screen_allowed(user: Any) -> bool:
    return scope_for(user).kind in (ScopeKind.EVERYTHING, ScopeKind.REGION)


def _require_screen(user: Any) -> None:
    if not screen_allowed(user):
        raise Forbidden(
            "指挥大屏仅供指挥中心人员查看",
            "the big screen is for command-centre staff",
            code="screen_forbidden",
        )


def place_root_for(user: Any) -> Place:
    _require_screen(user)
    root = region_root_for(user)
    if root is None:
        raise NotFound("没有可查看的区划", "no region within your scope")
    return _region_place(root)


def place_get(*, user: Any, code: str) -> Place:
    """The region or grid with this code, if the user's screen may show it (403 otherwise)."""
    _require_screen(user)
    if not code:
        return place_root_for(user)
    if len(code) == 15:
        grid = grids_visible(user, Grid.objects.only(*_LIGHT_GRID)).filter(code=code).first()
        if grid is not None:
            return _grid_place(grid)
        exists = Grid.objects.filter(code=code).exists()
    else:
        region = regions_visible(user, Region.objects.only(*_LIGHT)).filter(code=code).first()
        if region is not None:
            return _region_place(region)
        exists = Region.objects.filter(code=code).exists()
    if exists:
        # Region codes are public (GB/T 2260); saying "not yours" leaks nothing.
        raise Forbidden(
            f"无权查看 {code} 的大屏", f"region {code} is outside your scope", code="out_of_scope"
        )
    raise NotFound(f"没有编码为 {code} 的区划或网格", f"no region or grid {code}")


def place_chain(*, user: Any, place: Place) -> list[Place]:
    """The breadcrumb: from the user's own root down to this place, each one a click back up."""
    root = place_root_for(user)
    codes: list[str] = []
    node = (
        Region.objects.only(*_LIGHT).filter(pk=place.grid.community_id).first()
        if place.grid is not None
        else place.region
    )
    while node is not None:
        codes.append(node.code)
        if node.code == root.code:
            break
        node = Region.objects.only(*_LIGHT).filter(pk=node.parent_id).first() if node.parent_id else None
    visible = {r.code: r for r in regions_visible(user, Region.objects.only(*_LIGHT)).filter(code__in=codes)}
    chain = [_region_place(visible[c]) for c in reversed(codes) if c in visible]
    if place.grid is not None:
        chain.append(place)
    return chain


def place_children(*, user: Any, place: Place) -> list[Place]:
    """One level down: a region's child regions, a community's grids, nothing under a grid."""
    if place.region is None:
        return []
    if place.level == RegionLevel.COMMUNITY:
        grids = grids_visible(user, Grid.objects.only(*_LIGHT_GRID)).filter(community_id=place.region.pk)
        return [_grid_place(g) for g in grids.order_by("code")]
    regions = regions_visible(user, Region.objects.only(*_LIGHT)).filter(parent_id=place.region.pk)
    return [_region_place(r) for r in regions.order_by("code")]


def cases_in(*, user: Any, place: Place) -> QuerySet[Case]:
    """The cases placed in this place, through the user's data scope (a second guard: the place
    itself was already checked against the scope)."""
    qs = scope_filter(
        Case.objects.all(), user, code_field="territory_code", department_field="owner_department"
    )
    if place.is_grid:
        return qs.filter(territory_code=place.code)
    return qs.filter(territory_code__startswith=place.prefix)


# Places whose subtree holds a large share of all cases: there the time window is the narrow
# filter. SQLite's planner sees a range on both the territory code and `created_at` and took
# the territory index, reading every case of a city to keep one week (890 ms for the city's
# heat layer at 200,000 cases, 19 ms through `created_at`); the window's ids as a subquery
# leave it no such choice. Below county level the territory range is the narrow one.
# PostgreSQL, with real statistics, combines both indexes itself; the subquery made it look
# up each of the week's cases by key (a city's week at 10 M cases: 0.5 s against 90 ms).
BROAD_LEVELS = frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY})


def cases_created(*, user: Any, place: Place, start: datetime, end: datetime | None = None) -> QuerySet[Case]:
    """`cases_in` registered from `start` (to before `end`), read by the cheaper index."""
    window = Q(created_at__gte=start) & (Q(created_at__lt=end) if end is not None else Q())
    qs = cases_in(user=user, place=place)
    if place.level in BROAD_LEVELS and connection.vendor == "sqlite":
        return qs.filter(pk__in=Case.objects.filter(window).values("pk"))
    return qs.filter(window)
