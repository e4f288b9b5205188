"""The screen's map: the shapes (fetched once per place) and the load on them (polled).

Every read here is bounded by an index (costs measured in docs/screen.md):
- the load and the points read the stats module's open-case facts (a partial index on the
  territory of open cases), and then at most POINTS_MAX cases by primary key;
- the heat layer reads the stats module's recent counts: cases registered per day and H3
  hexagon, kept by the stats reader for each region code at the resolution its level uses
  (`stats.recent`), so the week's heat is a GROUP BY over seven days of the place's rows (it
  put about 60,000 positions of a city's week into hexagons per request at 10 M cases).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import h3
from django.db.models import Count, Q, Sum
from django.utils import timezone

from gridgov.accounts.scope import grids_visible
from gridgov.core.codes import under
from gridgov.dashboards.place import Place, cases_in, place_children
from gridgov.dashboards.shapes import simplified
from gridgov.geo.models import Grid, Region
from gridgov.stats.models import CaseFact, Recent, RecentDim
from gridgov.stats.recent import HEAT_RESOLUTION, WEEK_DAYS

# Above this many grids the grid layer is left out: at city scale a few thousand polygons
# would weigh megabytes on every drill; the child regions carry the load there.
GRID_LAYER_MAX = 1500
POINTS_MAX = 2000


def _bounds(place: Place) -> Region | Grid:
    """The place's row without its boundary (the city's outline weighs megabytes)."""
    fields = ("id", "code", "name", "min_lon", "min_lat", "max_lon", "max_lat")
    if place.grid is not None:
        return Grid.objects.only(*fields).get(pk=place.grid.pk)
    assert place.region is not None
    return Region.objects.only(*fields).get(pk=place.region.pk)


def _feature(obj: Region | Grid, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": obj.code,
        "geometry": geometry,
        "properties": {"code": obj.code, "name": obj.name, **props},
    }


def _features(model: type[Region] | type[Grid], rows: list[Any], tolerance: float) -> list[dict[str, Any]]:
    shapes = simplified(model, [r.code for r in rows], tolerance)
    return [_feature(r, shapes[r.code], is_grid=model is Grid) for r in rows]


def map_shapes(*, user: Any, place: Place) -> dict[str, Any]:
    """The place's outline, its children's polygons (what a click drills into) and its grids,
    simplified once per layer version (`dashboards.shapes`)."""
    whole = _bounds(place)
    width = max(whole.max_lon - whole.min_lon, whole.max_lat - whole.min_lat)
    tolerance = width / 1500  # about a pixel on a 1080-pixel-high map showing the place whole
    children = place_children(user=user, place=place)
    child_codes = [c.code for c in children]
    light = ("id", "code", "name")
    child_features: list[dict[str, Any]] = []
    if children and children[0].is_grid:
        grid_rows = list(Grid.objects.filter(code__in=child_codes).only(*light).order_by("code"))
        child_features = _features(Grid, grid_rows, tolerance)
    elif children:
        region_rows = list(Region.objects.filter(code__in=child_codes).only(*light).order_by("code"))
        child_features = _features(Region, region_rows, tolerance)

    grid_features: list[dict[str, Any]] = []
    if place.is_grid:
        grid_features = _features(Grid, [whole], tolerance)
    elif not (children and children[0].is_grid):
        grids = grids_visible(user, Grid.objects.filter(code__startswith=place.prefix))
        if grids.count() <= GRID_LAYER_MAX:
            grid_features = _features(Grid, list(grids.only(*light).order_by("code")), tolerance)
    model: type[Region] | type[Grid] = Grid if place.is_grid else Region
    outline = simplified(model, [whole.code], tolerance)[whole.code]
    return {
        "place": place.out(),
        "bbox": [whole.min_lon, whole.min_lat, whole.max_lon, whole.max_lat],
        "outline": _feature(whole, outline),
        "children": {"type": "FeatureCollection", "features": child_features},
        # At community level the children are the grids; the grid layer is then the same shapes.
        "grids": {"type": "FeatureCollection", "features": grid_features},
    }


@dataclass
class Load:
    open: int = 0
    overdue: int = 0

    def add(self, other: Load) -> None:
        self.open += other.open
        self.overdue += other.overdue

    def out(self) -> dict[str, int]:
        return {"open": self.open, "overdue": self.overdue}


@dataclass
class Loads:
    by_code: dict[str, Load] = field(default_factory=dict)

    def under(self, prefix: str) -> Load:
        total = Load()
        for code, load in self.by_code.items():
            if code.startswith(prefix):
                total.add(load)
        return total


def _open_facts(place: Place) -> Any:
    """The open cases of the place as the stats module keeps them (one fact row per open case,
    behind a partial index on territory): the same open and overdue counts as the figures,
    read without touching the cases table's history. A grid is its own territory code.
    No user filter: only centre users reach here (place.py), whose scope is exactly the
    territory, and the place was checked against it."""
    facts = CaseFact.objects.filter(is_open=True)
    if place.is_grid:
        return facts.filter(territory=place.code)
    return facts.filter(under("territory", place.prefix))


def open_loads(*, place: Place) -> Loads:
    """Open and overdue (red) cases per territory code: a grid's, or a region's for the cases
    placed outside any grid."""
    rows = (
        _open_facts(place)
        .order_by()
        .values("territory")
        .annotate(open=Count("case_id"), overdue=Count("case_id", filter=Q(overdue=True)))
    )
    return Loads({r["territory"]: Load(r["open"], r["overdue"]) for r in rows})


def _points(*, user: Any, place: Place) -> list[dict[str, Any]]:
    # The newest open cases by the facts' index, then those cases by primary key: the cases
    # table is never scanned for "is it open" (at 1 M cases that scan took seconds). The top
    # POINTS_MAX is cut by the database: a city has hundreds of thousands of open facts, and
    # fetching them all to sort here took most of the map's answer at 10 M cases.
    newest = list(
        _open_facts(place)
        .order_by("-received_day", "-case_id")
        .values_list("case_id", flat=True)[:POINTS_MAX]
    )
    rows = (
        cases_in(user=user, place=place)
        .filter(pk__in=newest, lon__isnull=False, lat__isnull=False)
        .order_by("-created_at")
        .values_list("number", "title", "colour", "lon", "lat")
    )
    return [
        {"number": n, "title": t, "colour": c or "green", "lon": round(lon, 6), "lat": round(lat, 6)}
        for n, t, c, lon, lat in rows
        if lon is not None and lat is not None  # filtered above; says so to the type checker
    ]


@functools.lru_cache(maxsize=50_000)
def _hex_boundary(cell: str) -> list[list[float]]:
    """A hexagon's corners (lat, lon), rounded to about 10 cm. A pure function of the cell, kept
    in memory: the city's week spans a few thousand hexagons, and computing and rounding their
    corners was a third of the map's answer at 10 M cases. Callers must not modify the list."""
    return [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(cell)]


def _heat(*, place: Place, now: datetime) -> dict[str, Any]:
    """Cases registered today and the six days before, per hexagon at the place's resolution
    (hexagon size by level: `stats.recent.HEAT_RESOLUTION`). No user filter, as `_open_facts`."""
    today = timezone.localtime(now).date()
    rows = (
        Recent.objects.filter(
            code=place.prefix,
            dim=RecentDim.HEAT,
            day__gte=today - timedelta(days=WEEK_DAYS - 1),
            day__lte=today,
        )
        .values("key")
        .annotate(n=Sum("cases"))
    )
    cells = sorted(((r["n"], r["key"]) for r in rows if r["n"] > 0), key=lambda t: (-t[0], t[1]))
    hexes = [{"cell": cell, "n": n, "boundary": _hex_boundary(cell)} for n, cell in cells]
    return {"resolution": HEAT_RESOLUTION[len(place.prefix)], "days": WEEK_DAYS, "hexes": hexes}


def map_load(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    """What changes on the map: load per child and per grid, open case points, the heat."""
    loads = open_loads(place=place)
    children = place_children(user=user, place=place)
    child_load = {
        c.code: (loads.by_code.get(c.code, Load()) if c.is_grid else loads.under(c.prefix)) for c in children
    }
    grid_load = {code: load for code, load in loads.by_code.items() if len(code) == 15}
    total = loads.under("")
    points = _points(user=user, place=place)
    return {
        "place": place.out(),
        "total": total.out(),
        "children": {code: load.out() for code, load in child_load.items()},
        "grids": {code: load.out() for code, load in sorted(grid_load.items())},
        "points": points,
        "points_capped": total.open > len(points) and len(points) == POINTS_MAX,
        "heat": _heat(place=place, now=now),
    }
