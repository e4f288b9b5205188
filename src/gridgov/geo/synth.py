"""Synthetic townships, communities and grids inside real county boundaries, for the demo and benchmarks.

No public polygons exist below county level, so we cut each county ourselves: seeded random points
inside the parent, their Voronoi cells intersected with the parent. Cells of one Voronoi diagram
share their edges exactly, so the pieces form a coverage of the parent (no gaps, no overlaps,
matching vertices); a couple of Lloyd steps make the cells rounder. Everything is pure computation
(no database) and deterministic for a seed: each county draws from its own generator seeded with
(seed, county code), so one county's shape does not depend on another's.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from gridgov.core.errors import InvalidInput
from gridgov.geo.boundaries import area_m2
from gridgov.geo.enums import GridKind, RegionLevel

Rng = np.random.Generator
Advance = Callable[[int], None]

LLOYD_STEPS = 2
HINTERLAND_KM2 = 3000.0
# Share of a county's grids that are dedicated (专属) grids: parks, markets, campuses.
DEDICATED_SHARE = 0.015


class UnitKind(enum.Enum):
    DISTRICT = "district"  # 市辖区: streets and residential communities
    COUNTY_CITY = "county_city"  # 县级市 (and cities without counties): a town core, then villages
    COUNTY = "county"  # 县 / 旗 / 自治县: mostly villages


class TownshipKind(enum.Enum):
    STREET = "街道"
    TOWN = "镇"
    XIANG = "乡"


class CommunityKind(enum.Enum):
    RESIDENTIAL = "社区"
    VILLAGE = "村"


@dataclass(frozen=True)
class Profile:
    people_per_grid: int  # sets the default grid count of a city by its estimated population
    grids_per_township: float
    grids_per_community: dict[TownshipKind, float]
    street_share: float  # the townships nearest the centre that are streets (街道)
    household_size: float


PROFILES = {
    UnitKind.DISTRICT: Profile(
        1000, 40, {TownshipKind.STREET: 5, TownshipKind.TOWN: 3, TownshipKind.XIANG: 2}, 0.7, 2.6
    ),
    UnitKind.COUNTY_CITY: Profile(
        600, 35, {TownshipKind.STREET: 4, TownshipKind.TOWN: 2.5, TownshipKind.XIANG: 2}, 0.3, 2.8
    ),
    UnitKind.COUNTY: Profile(
        400, 30, {TownshipKind.STREET: 4, TownshipKind.TOWN: 2.5, TownshipKind.XIANG: 2}, 0.0, 3.1
    ),
}


@dataclass(frozen=True)
class CityFigures:
    grids: int
    population: int


# Cities whose figures we know from the requirement documents; others are estimated from area.
KNOWN_CITIES = {
    "620100": CityFigures(grids=4417, population=4_580_000),  # 兰州市
    "621100": CityFigures(grids=13853, population=2_524_000),  # 定西市 (7th census, 2020)
}


@dataclass(frozen=True)
class Unit:
    """A county, or the city itself when it has no counties: the parent of generated townships."""

    code: str
    name: str
    geometry: shapely.Geometry

    @property
    def kind(self) -> UnitKind:
        if self.name.endswith("区") and not self.name.endswith("林区"):
            return UnitKind.DISTRICT
        if self.name.endswith("县") or self.name.endswith("旗"):
            return UnitKind.COUNTY
        return UnitKind.COUNTY_CITY

    @property
    def area_km2(self) -> float:
        return float(area_m2(self.geometry)) / 1e6


@dataclass(frozen=True)
class SynthRegion:
    code: str
    name: str
    level: RegionLevel
    parent_code: str
    geometry: shapely.Geometry


@dataclass(frozen=True)
class SynthGrid:
    code: str
    name: str
    kind: GridKind
    community_code: str
    geometry: shapely.Geometry
    households: int
    population: int


@dataclass
class Territory:
    regions: list[SynthRegion] = field(default_factory=list)  # townships, then communities
    grids: list[SynthGrid] = field(default_factory=list)


# --- figures ------------------------------------------------------------------------------------


def estimated_population(unit: Unit) -> float:
    """A dense core and a thin hinterland: crude, but it makes urban districts outweigh rural
    counties. The hinterland counts up to 3,000 km², so deserts and mountains do not become cities."""
    area = unit.area_km2
    core, core_density, rest_density = {
        UnitKind.DISTRICT: (200.0, 3000.0, 150.0),
        UnitKind.COUNTY_CITY: (60.0, 1500.0, 120.0),
        UnitKind.COUNTY: (20.0, 1500.0, 100.0),
    }[unit.kind]
    return core_density * min(area, core) + rest_density * min(max(0.0, area - core), HINTERLAND_KM2)


def default_figures(city_code: str, units: Sequence[Unit]) -> CityFigures:
    if city_code in KNOWN_CITIES:
        return KNOWN_CITIES[city_code]
    population = sum(estimated_population(u) for u in units)
    grids = sum(estimated_population(u) / PROFILES[u.kind].people_per_grid for u in units)
    return CityFigures(grids=max(len(units), round(grids)), population=round(population))


def allocate(total: int, weights: Sequence[float] | NDArray[np.float64], *, minimum: int = 0) -> list[int]:
    """Split an integer total in proportion to weights, each share at least `minimum`
    (largest-remainder method, so the shares always add up to the total)."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    spare = total - minimum * n
    if spare < 0:
        raise ValueError("total smaller than the minimum shares")
    if n == 0:
        return []
    w = np.ones(n) if w.sum() <= 0 else w / w.sum()
    exact = w * spare
    shares = np.floor(exact).astype(int)
    remainder = spare - int(shares.sum())
    # Stable order on ties, so equal weights give the same result on every machine.
    for i in np.argsort(-(exact - shares), kind="stable")[:remainder]:
        shares[i] += 1
    return [int(s) + minimum for s in shares]


# --- cutting a polygon --------------------------------------------------------------------------


def _sample_inside(parent: shapely.Geometry, k: int, rng: Rng) -> NDArray[np.float64]:
    x0, y0, x1, y1 = parent.bounds
    fill = max(parent.area / max((x1 - x0) * (y1 - y0), 1e-18), 1e-3)
    found: list[NDArray[np.float64]] = []
    count = 0
    while count < k:
        m = max(64, int(2 * (k - count) / fill))
        xs, ys = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        inside = shapely.contains_xy(parent, xs, ys)
        found.append(np.column_stack([xs[inside], ys[inside]]))
        count += int(inside.sum())
    return np.concatenate(found)[:k]


def _cells(points: NDArray[np.float64], envelope: shapely.Geometry) -> NDArray[np.object_]:
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope, ordered=True)
    return np.asarray(shapely.get_parts(diagram))


def _absorb_fragments(pieces: NDArray[np.object_]) -> NDArray[np.object_]:
    """A Voronoi cell cut by a concave border can fall apart; a grid in two places is no grid, so
    each detached fragment joins the neighbour it shares the longest border with. Merging with
    coverage_union keeps every vertex, so the coverage stays valid."""
    pieces = pieces.copy()
    multi = np.flatnonzero(shapely.get_num_geometries(pieces) > 1)
    if len(multi) == 0:
        return pieces
    tree = shapely.STRtree(pieces)
    for i in multi:
        parts = shapely.get_parts(pieces[i])
        order = np.argsort(-shapely.area(parts), kind="stable")
        kept = [parts[order[0]]]
        for fragment in parts[order[1:]]:
            best, best_length = -1, 0.0
            for j in tree.query(fragment, predicate="intersects"):
                if j == i:
                    continue
                shared = shapely.length(shapely.intersection(fragment.boundary, pieces[j].boundary))
                if shared > best_length:
                    best, best_length = int(j), float(shared)
            if best < 0:
                kept.append(fragment)  # an island of the parent: it stays with its cell
            else:
                pieces[best] = shapely.coverage_union(pieces[best], fragment)
        pieces[i] = kept[0] if len(kept) == 1 else shapely.multipolygons(kept)
    return pieces


def partition(parent: shapely.Geometry, k: int, rng: Rng) -> list[shapely.Geometry]:
    """k pieces that cover the parent exactly: no gaps, no overlaps, each inside the parent."""
    if k == 1:
        return [parent]
    shapely.prepare(parent)
    box = shapely.box(*parent.bounds)
    x0, y0, x1, y1 = parent.bounds
    envelope = shapely.box(x0, y0, x1, y1).buffer(max(x1 - x0, y1 - y0) + 1.0)
    points = _sample_inside(parent, k, rng)
    for _ in range(LLOYD_STEPS):
        # Relax against the parent's bbox only: cheap, and good enough to even out the cells.
        centroids = shapely.get_coordinates(
            shapely.centroid(shapely.intersection(_cells(points, envelope), box))
        )
        inside = shapely.contains_xy(parent, centroids[:, 0], centroids[:, 1])
        points = np.where(inside[:, None], centroids, points)
    while len(np.unique(points, axis=0)) < k:  # coincident points would merge two cells
        points = _sample_inside(parent, k, rng)
    pieces = np.asarray([_polygonal(p) for p in shapely.intersection(_cells(points, envelope), parent)])
    return list(_absorb_fragments(pieces))


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Overlay may add a stray line or point where a cell only touches the parent; a grid is areas only."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    polygons = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)


def spatial_order(geometries: Sequence[shapely.Geometry], parent_bounds: Sequence[float]) -> list[int]:
    """Indices in reading order, west→east then north→south: ceil(√k) equal latitude bands over the
    parent's bbox, north first, and by centroid longitude within a band (docs/geo-import.md)."""
    k = len(geometries)
    if k == 0:
        return []
    centroids = shapely.get_coordinates(shapely.centroid(np.asarray(geometries)))
    return spatial_order_xy(centroids[:, 0], centroids[:, 1], parent_bounds)


def spatial_order_xy(
    lon: Sequence[float] | NDArray[np.float64],
    lat: Sequence[float] | NDArray[np.float64],
    parent_bounds: Sequence[float],
) -> list[int]:
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    k = len(lon_a)
    bands = math.ceil(math.sqrt(k))
    _, min_lat, _, max_lat = parent_bounds
    height = (max_lat - min_lat) / bands or 1.0
    band = np.clip(np.floor((max_lat - lat_a) / height), 0, bands - 1)
    return [int(i) for i in np.lexsort((lon_a, band))]


# --- names --------------------------------------------------------------------------------------

_FIRST = (
    "东西南北新和安平兴华龙凤金银青红白石河山川泉柳杨桃永康福寿庆嘉明光文建团胜利丰盛宁清秀云枫松梅兰春长远高阳"
    "德仁义忠孝信太吉祥瑞富贵"
)
_SECOND = "岗滩坪川湾园桥林苑庄屯堡寨沟坡岭台关营店坝源塬峪湖溪泉城阳峰门河田家新华民乐安宁和兴盛光明丰"
_DEDICATED = ("工业园", "商贸城", "物流园", "科技园", "批发市场", "学校", "医院", "景区")
_NUMERALS = "一二三四五六七八九十"


class NamePool:
    """Two-character place names, unique within one county."""

    def __init__(self, rng: Rng) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, suffix: str) -> str:
        for attempt in range(400):
            stem = _FIRST[self.rng.integers(len(_FIRST))] + _SECOND[self.rng.integers(len(_SECOND))]
            if stem[0] == stem[1]:
                continue
            if attempt >= 100:
                # The pool runs thin in a very large county: number the stems (新华二村).
                stem += _NUMERALS[1 + attempt % 9]
            if stem + suffix not in self.used:
                self.used.add(stem + suffix)
                return stem + suffix
        raise RuntimeError("name pool exhausted")

    def dedicated(self) -> str:
        return self.take(_DEDICATED[self.rng.integers(len(_DEDICATED))] + "专属网格")


# --- the generator ------------------------------------------------------------------------------


def _by_distance(geometries: Sequence[shapely.Geometry], centre: shapely.Point) -> list[int]:
    d = shapely.distance(shapely.centroid(np.asarray(geometries)), centre)
    return [int(i) for i in np.argsort(d, kind="stable")]


def _ordered(parent: shapely.Geometry, k: int, rng: Rng) -> list[shapely.Geometry]:
    pieces = partition(parent, k, rng)
    return [pieces[i] for i in spatial_order(pieces, parent.bounds)]


def _township_kinds(unit: Unit, townships: list[shapely.Geometry], rng: Rng) -> list[TownshipKind]:
    profile = PROFILES[unit.kind]
    share = 1.0 if unit.kind == UnitKind.DISTRICT and unit.area_km2 <= 300 else profile.street_share
    streets = round(share * len(townships))
    if unit.kind != UnitKind.COUNTY:
        streets = max(1, streets)
    kinds = [TownshipKind.TOWN] * len(townships)
    for rank, i in enumerate(_by_distance(townships, unit.geometry.point_on_surface())):
        if rank < streets:
            kinds[i] = TownshipKind.STREET
        elif rank > 0 and rng.random() < 0.4:
            kinds[i] = TownshipKind.XIANG  # the seat (rank 0) is always a town
    return kinds


def _community_kinds(
    kind: TownshipKind, communities: list[shapely.Geometry], township: shapely.Geometry
) -> list[CommunityKind]:
    if kind == TownshipKind.STREET:
        return [CommunityKind.RESIDENTIAL] * len(communities)
    # A town's core is residential (社区); the rest are villages.
    core = max(1, round(0.15 * len(communities))) if kind == TownshipKind.TOWN else 0
    kinds = [CommunityKind.VILLAGE] * len(communities)
    for i in _by_distance(communities, township.point_on_surface())[:core]:
        kinds[i] = CommunityKind.RESIDENTIAL
    return kinds


def _jitter(rng: Rng, n: int, sigma: float) -> NDArray[np.float64]:
    return rng.lognormal(0.0, sigma, n)


def synthesize_unit(
    unit: Unit, *, grids: int, population: int, seed: int, advance: Advance | None = None
) -> Territory:
    rng = np.random.default_rng([seed, int(unit.code)])
    profile = PROFILES[unit.kind]
    names = NamePool(rng)
    out = Territory()

    n_townships = int(np.clip(round(grids / profile.grids_per_township), 1, min(grids, 999)))
    townships = _ordered(unit.geometry, n_townships, rng)
    t_kinds = _township_kinds(unit, townships, rng)
    street_weight = 3.0 if unit.kind != UnitKind.DISTRICT else 1.0
    t_weights = area_m2(np.asarray(townships)) * _jitter(rng, n_townships, 0.25)
    t_weights *= [street_weight if k == TownshipKind.STREET else 1.0 for k in t_kinds]
    t_grids = allocate(grids, t_weights, minimum=1)

    grid_kind_of: list[CommunityKind] = []
    for t_index, (township, t_kind, t_count) in enumerate(zip(townships, t_kinds, t_grids, strict=True)):
        t_code = f"{unit.code}{t_index + 1:03d}"
        out.regions.append(
            SynthRegion(t_code, names.take(t_kind.value), RegionLevel.TOWNSHIP, unit.code, township)
        )
        per_community = profile.grids_per_community[t_kind]
        n_communities = int(np.clip(round(t_count / per_community), 1, min(t_count, 999)))
        communities = _ordered(township, n_communities, rng)
        c_kinds = _community_kinds(t_kind, communities, township)
        c_weights = area_m2(np.asarray(communities)) * _jitter(rng, n_communities, 0.3)
        if t_kind != TownshipKind.STREET:
            c_weights *= [3.0 if k == CommunityKind.RESIDENTIAL else 1.0 for k in c_kinds]
        c_grids = allocate(t_count, c_weights, minimum=1)
        for c_index, (community, c_kind, c_count) in enumerate(
            zip(communities, c_kinds, c_grids, strict=True)
        ):
            c_code = f"{t_code}{c_index + 1:03d}"
            c_name = names.take(c_kind.value)
            out.regions.append(SynthRegion(c_code, c_name, RegionLevel.COMMUNITY, t_code, community))
            kind = GridKind.COMMUNITY if c_kind == CommunityKind.RESIDENTIAL else GridKind.RURAL
            for g_index, cell in enumerate(_ordered(community, c_count, rng)):
                out.grids.append(
                    SynthGrid(
                        f"{c_code}{g_index + 1:03d}", f"{c_name}第{g_index + 1}网格", kind, c_code, cell, 0, 0
                    )
                )
                grid_kind_of.append(c_kind)
            if advance is not None:
                advance(c_count)

    _mark_dedicated(out, rng, names)
    _populate(out, unit, population, rng)
    return out


def _mark_dedicated(out: Territory, rng: Rng, names: NamePool) -> None:
    count = round(DEDICATED_SHARE * len(out.grids))
    if count == 0 and len(out.grids) >= 8:
        count = 1
    per_community: dict[str, int] = {}
    for g in out.grids:
        per_community[g.community_code] = per_community.get(g.community_code, 0) + 1
    # A park or market sits beside homes: never the only grid of its community.
    candidates = [i for i, g in enumerate(out.grids) if per_community[g.community_code] >= 3]
    candidates = candidates or [i for i, g in enumerate(out.grids) if per_community[g.community_code] >= 2]
    if not candidates:
        return
    for i in sorted(rng.choice(candidates, size=min(count, len(candidates)), replace=False).tolist()):
        g = out.grids[i]
        out.grids[i] = SynthGrid(
            g.code, names.dedicated(), GridKind.DEDICATED, g.community_code, g.geometry, 0, 0
        )


def _populate(out: Territory, unit: Unit, population: int, rng: Rng) -> None:
    profile = PROFILES[unit.kind]
    n = len(out.grids)
    weights = _jitter(rng, n, 0.35)
    for i, g in enumerate(out.grids):
        if g.kind == GridKind.DEDICATED:
            weights[i] *= 0.15  # a market or campus: few people live there
        elif g.kind == GridKind.COMMUNITY and unit.kind != UnitKind.DISTRICT:
            weights[i] *= 1.3  # a town core is denser than its villages
    people = allocate(population, weights)
    sizes = profile.household_size * rng.uniform(0.9, 1.1, n)
    for i, g in enumerate(out.grids):
        households = round(people[i] / sizes[i])
        out.grids[i] = SynthGrid(g.code, g.name, g.kind, g.community_code, g.geometry, households, people[i])


def synthesize(
    units: Sequence[Unit], *, grids: int, population: int, seed: int, advance: Advance | None = None
) -> Territory:
    """Townships, communities and exactly `grids` grids below the units, `population` people in all.
    Urban districts get more grids per square kilometre than rural counties."""
    if grids < len(units):
        raise InvalidInput(
            f"网格数 {grids} 少于县区数 {len(units)}:每个县区至少一个网格",
            f"{grids} grids is fewer than the {len(units)} counties: each county needs at least one",
        )
    if not all(u.code.isdigit() and len(u.code) == 6 for u in units):
        raise InvalidInput("县区代码应为 6 位数字", "county codes must have 6 digits")
    # Grids follow people, and an urban district holds more people per square kilometre.
    unit_grids = allocate(
        grids, [estimated_population(u) / PROFILES[u.kind].people_per_grid for u in units], minimum=1
    )
    unit_people = allocate(population, [estimated_population(u) for u in units])
    territory = Territory()
    for unit, g, p in zip(units, unit_grids, unit_people, strict=True):
        part = synthesize_unit(unit, grids=g, population=p, seed=seed, advance=advance)
        territory.regions.extend(part.regions)
        territory.grids.extend(part.grids)
    return territory
