"""The territory in the admin: names and attributes are edited here; boundaries come from
`gridgov geo import-*` and are shown only as figures (area, bbox, source), never as raw JSON,
which for a county runs to megabytes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.accounts.admin_audit import AuditedAdmin
from gridgov.accounts.admin_forms import GridStaffForm, GridStaffFormSet
from gridgov.accounts.models import GridStaff
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region, Shape
from gridgov.geo.services import layer_bump

_SHAPE_FIELDS = ("area_shown", "bbox_shown", "centroid_shown", "vertices", "source_shown")


class CountyFilter(admin.SimpleListFilter):
    """所属县(区): the filter that matters in a city of thousands of grids."""

    title = "所属县(区)"
    parameter_name = "county"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
        return [(c.code, f"{c.name}({c.code})") for c in counties.only("code", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(code__startswith=self.value())
        return queryset


class SourceFilter(admin.ChoicesFieldListFilter):
    # The model field has no Chinese verbose name; the admin supplies the label.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "来源"


class ShapeAdmin(AuditedAdmin):
    """Shared by regions and grids: geometry is read-only and summarised."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The list never needs the boundary; the change page loads it with one more query.
        return super().get_queryset(request).defer("boundary")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The in-memory spatial index carries names and kinds too: tell it the layer changed, in
        # the admin's own transaction.
        super().save_model(request, obj, form, change)
        layer_bump()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a region or grid would orphan everything placed in it; re-import instead.
        return False

    @admin.display(description="面积(km²)", ordering="area_km2")
    def area_shown(self, obj: Shape) -> str:
        return f"{obj.area_km2:,.3f}"

    @admin.display(description="外接矩形(经度,纬度)")
    def bbox_shown(self, obj: Shape) -> str:
        return "({:.5f}, {:.5f}) – ({:.5f}, {:.5f})".format(*obj.bbox)

    @admin.display(description="中心点")
    def centroid_shown(self, obj: Shape) -> str:
        return f"{obj.centroid_lon:.5f}, {obj.centroid_lat:.5f}"

    @admin.display(description="来源", ordering="source")
    def source_shown(self, obj: Shape) -> str:
        return obj.get_source_display()

    @admin.display(description="边界")
    def vertices(self, obj: Shape) -> str:
        geometry = obj.boundary or {}
        coords = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            rings = [coords]
        elif geometry.get("type") == "MultiPolygon":
            rings = coords
        else:
            return str(geometry.get("type", "—"))
        points = sum(len(ring) for polygon in rings for ring in polygon)
        return f"{geometry['type']}, {len(rings)} 个多边形, {points:,} 个顶点"


@admin.register(Region)
class RegionAdmin(ShapeAdmin):
    list_display = ("code", "name", "level", "parent_name", "area_shown", "source_shown")
    list_filter = ("level", ("source", SourceFilter), CountyFilter)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    fields = ("code", "name", "level", "parent", *_SHAPE_FIELDS)
    readonly_fields = ("code", "level", "parent", *_SHAPE_FIELDS)

    @admin.display(description="上级", ordering="parent__code")
    def parent_name(self, obj: Region) -> str:
        return obj.parent.name if obj.parent else "—"


class GridStaffOfGridInline(admin.TabularInline):
    model = GridStaff
    fk_name = "grid"
    form = GridStaffForm
    formset = GridStaffFormSet
    fields = ("user", "duty")
    autocomplete_fields = ("user",)
    extra = 0
    verbose_name = "网格人员"
    verbose_name_plural = "网格人员"


@admin.register(Grid)
class GridAdmin(ShapeAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "community_name",
        "households",
        "population",
        "area_shown",
        "source_shown",
    )
    list_filter = ("kind", ("source", SourceFilter), CountyFilter)
    search_fields = ("code", "name", "community__name")
    list_select_related = ("community",)
    fields = ("code", "name", "kind", "community", "households", "population", *_SHAPE_FIELDS)
    readonly_fields = ("code", "community", *_SHAPE_FIELDS)
    inlines = (GridStaffOfGridInline,)

    @admin.display(description="所属社区", ordering="community__code")
    def community_name(self, obj: Grid) -> str:
        return obj.community.name
