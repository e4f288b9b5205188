"""Where each row lives: its community (by code or name, within the importer's scope), its
Address (found by key, or created), and its grid (by coordinates through the in-memory grid
layer, or, without coordinates, from the address already known, a neighbour at the same road
and number, or the community's only grid).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import Scope
from gridgov.geo.enums import RegionLevel
from gridgov.geo.index import OUTSIDE, Layer
from gridgov.geo.locate import locate_points
from gridgov.geo.models import Grid, Region
from gridgov.registry.validators import address_key, address_parts, address_text, normalize_address_part

# Lanzhou's bounding box, widened: a coordinate far outside any city of China is a typo.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


@dataclass(frozen=True)
class CommunityRef:
    id: int
    code: str
    name: str
    full_name: str  # county + township + community, the start of an address's text


class Directory:
    """The communities an importer may write into, loaded once per job."""

    def __init__(self, scope: Scope):
        self.scope = scope
        regions = {
            pk: (code, name, level, parent)
            for pk, code, name, level, parent in Region.objects.values_list(
                "pk", "code", "name", "level", "parent_id"
            )
        }
        self.by_code: dict[str, CommunityRef] = {}
        names: dict[str, list[CommunityRef]] = {}
        for pk, (code, name, level, parent) in regions.items():
            if level != RegionLevel.COMMUNITY:
                continue
            chain = []
            node = parent
            while node is not None and regions[node][2] in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY):
                chain.append(regions[node][1])
                node = regions[node][3]
            ref = CommunityRef(pk, code, name, "".join(reversed(chain)) + name)
            if self._may(code, pk):
                self.by_code[code] = ref
                names.setdefault(name, []).append(ref)
        self.by_name = {n: refs[0] for n, refs in names.items() if len(refs) == 1}
        self.code_of = {ref.id: ref.code for ref in self.by_code.values()}
        self.ambiguous = {n for n, refs in names.items() if len(refs) > 1}
        self.all_codes = {code for code, _, level, _ in regions.values() if level == RegionLevel.COMMUNITY}
        grids = Grid.objects.values_list("pk", "community_id")
        self.grids_of: dict[int, list[int]] = {}
        for gid, cid in grids:
            self.grids_of.setdefault(cid, []).append(gid)

    def _may(self, code: str, pk: int) -> bool:
        s = self.scope
        if s.kind == ScopeKind.EVERYTHING:
            return True
        if s.kind == ScopeKind.REGION and s.prefix is not None:
            return code.startswith(s.prefix)
        if s.kind == ScopeKind.GRIDS:
            return any(gc.startswith(code) for gc in s.grid_codes)
        return False

    @property
    def limited(self) -> bool:
        """Whether grid_allowed can say no (an importer bound to grids)."""
        return self.scope.kind == ScopeKind.GRIDS

    def grid_allowed(self, grid_id: int | None) -> bool:
        if self.scope.kind == ScopeKind.GRIDS:
            return grid_id is not None and grid_id in self.scope.grid_ids
        return True

    def find(self, text: str) -> tuple[CommunityRef | None, str, str]:
        """The community a cell names, or (None, code, message)."""
        if text in self.by_code:
            return self.by_code[text], "", ""
        if text in self.by_name:
            return self.by_name[text], "", ""
        if text in self.all_codes:
            return None, "out_of_scope", "该社区不在您的管辖范围内,不能导入"
        if text in self.ambiguous:
            return None, "community_ambiguous", "社区名称不唯一,请填写 12 位社区代码"
        return None, "community_unknown", "找不到该社区(应为村(社区)的区划代码或名称)"


@dataclass(slots=True)
class AddressParts:
    community: CommunityRef
    road: str
    number: str
    building: str
    unit: str
    room: str
    lon: float | None
    lat: float | None
    key: str = ""
    text: str = ""
    grid_id: int | None = None
    address_id: int | None = None
    problem: str = ""  # why the point cannot be placed (locate_batch), "" when it can
    # On PostgreSQL, the Address row it would create in COPY's text format, but its id and grid
    # (Handler.encode_rows): built where the row is checked, so the writing process only joins.
    line: str = ""


def parse_coordinates(lon_text: str, lat_text: str) -> tuple[float | None, float | None, str, str]:
    """(lon, lat, column, message): both empty is fine; one without the other is not."""
    if not lon_text and not lat_text:
        return None, None, "", ""
    if not lon_text or not lat_text:
        return None, None, "lon" if not lon_text else "lat", "经度和纬度须同时填写"
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        bad = "lon" if not _is_float(lon_text) else "lat"
        return None, None, bad, "坐标不是数字"
    if not (LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return None, None, "lon", "经度超出中国范围(WGS84)"
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        return None, None, "lat", "纬度超出中国范围(WGS84)"
    return lon, lat, "", ""


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


NormalCache = dict[tuple[str, ...], tuple[str, ...]]


def _plain_key_text(p: AddressParts) -> tuple[str, str]:
    """address_key and address_text of parts already in normal form, without normalising them
    again (tests/bulk/test_fastcheck.py holds this to the validators' own functions)."""
    key = hashlib.sha256(
        "\x1f".join((p.community.code, p.road, p.number, p.building, p.unit, p.room)).encode()
    )
    text = p.community.full_name + p.road
    if p.number:
        text += f"{p.number}号"
    if p.building:
        text += f"{p.building}栋"
    if p.unit:
        text += f"{p.unit}单元"
    return key.hexdigest(), text + p.room


def normal_parts(parts: AddressParts, cache: NormalCache | None = None) -> AddressParts:
    """Normal forms, key and text of the parts. A file repeats each address for every person
    living there, so the work is remembered per raw spelling (cache, one per job)."""
    raw = (parts.community.code, parts.road, parts.number, parts.building, parts.unit, parts.room)
    if cache is not None:
        hit = cache.get(raw)
        if hit is not None:
            parts.road, parts.number, parts.building, parts.unit, parts.room, parts.key, parts.text = hit
            return parts
        # Every part empty or ASCII letters and digits (whose normal form is itself: no full-width
        # forms, spaces or Chinese suffixes to drop), tested on the parts joined, at once.
        joined = parts.number + parts.building + parts.unit + parts.room
        if not joined or (joined.isascii() and joined.isalnum()):
            road = cache.get(("road", parts.road))
            if road is None:
                road = (normalize_address_part(parts.road),)
                cache[("road", parts.road)] = road
            parts.road = road[0]
            parts.key, parts.text = _plain_key_text(parts)
            cache[raw] = (
                parts.road,
                parts.number,
                parts.building,
                parts.unit,
                parts.room,
                parts.key,
                parts.text,
            )
            return parts
    # Stored as registry.services.places.address_resolve stores them: suffixes (号, 栋, 单元, 室)
    # dropped, so the row is the same whichever path created it.
    parts.road = normalize_address_part(parts.road)
    parts.number, parts.building, parts.unit, parts.room = address_parts(
        parts.number, parts.building, parts.unit, parts.room
    )
    parts.key = address_key(
        parts.community.code, parts.road, parts.number, parts.building, parts.unit, parts.room
    )
    parts.text = address_text(
        parts.community.full_name, parts.road, parts.number, parts.building, parts.unit, parts.room
    )
    if cache is not None:
        if len(cache) > 2_000_000:
            cache.clear()
        cache[raw] = (parts.road, parts.number, parts.building, parts.unit, parts.room, parts.key, parts.text)
    return parts


def locate_batch(items: list[AddressParts], *, layer: Layer | None = None) -> list[tuple[str, str]]:
    """Grid of every item with coordinates, in one call to the grid layer. Returns, per item,
    ("", "") or (column, message) when the point is outside every grid or outside its community.
    With `layer` (a worker process: workers.py), that layer's index is asked directly, with no
    look at the database for a newer version; the coordinates are WGS84, as the files' are."""
    out: list[tuple[str, str]] = [("", "")] * len(items)
    with_xy = [i for i, p in enumerate(items) if p.lon is not None and p.lat is not None]
    if not with_xy:
        return out
    lons = np.array([items[i].lon for i in with_xy], dtype=np.float64)
    lats = np.array([items[i].lat for i in with_xy], dtype=np.float64)
    if layer is None:
        placed = locate_points(lons=lons, lats=lats, nearest=False)
        grids, found = placed.layer.grids, placed.grid
    else:
        grids, found = layer.grids, layer.index.locate_many(lons, lats)
    for i, g in zip(with_xy, found.tolist(), strict=True):
        if g == OUTSIDE:
            out[i] = ("lon", "坐标不在任何网格内,无法定位")
            continue
        ref = grids[g]
        if ref.community_id != items[i].community.id:
            out[i] = ("lon", f"坐标位于{ref.name},不属于所填社区")
            continue
        items[i].grid_id = ref.id
    return out
