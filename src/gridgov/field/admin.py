from django.contrib import admin

from gridgov.field.models import HouseholdVisit, Patrol, PatrolPlan


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ("started_at", "worker", "grid", "police", "status", "distance_m", "point_count")
    list_filter = ("status",)
    search_fields = ("worker__username", "grid__code", "client_key")
    raw_id_fields = ("worker", "grid", "police")
    readonly_fields = ("client_key", "distance_m", "point_count", "created_at", "updated_at")


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(admin.ModelAdmin):
    list_display = ("visited_at", "worker", "grid", "household")
    search_fields = ("household", "worker__username", "grid__code")
    raw_id_fields = ("worker", "grid", "community")
    readonly_fields = ("client_key", "created_at")


@admin.register(PatrolPlan)
class PatrolPlanAdmin(admin.ModelAdmin):
    list_display = (
        "window_start",
        "window_end",
        "grid",
        "worker",
        "joint",
        "police",
        "patrol",
        "cancelled_at",
    )
    list_filter = ("joint", "day")
    search_fields = ("worker__username", "grid__code")
    raw_id_fields = ("worker", "grid", "police", "created_by", "patrol")
    readonly_fields = ("created_at", "updated_at")
