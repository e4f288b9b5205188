"""Configuration screens: the editable category lists and the frequency table. Register rows
themselves are edited on the registry pages (through the services, with history); personal data
stays out of the admin, where reading it could not be audited."""

from __future__ import annotations

from django.contrib import admin

from gridgov.registry.models import CareCategory, KeyPersonCategory, VisitFrequency


class FrequencyInline(admin.TabularInline):
    model = VisitFrequency
    extra = 0


@admin.register(KeyPersonCategory)
class KeyPersonCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order", "active")
    list_editable = ("name", "order", "active")
    inlines = [FrequencyInline]


@admin.register(CareCategory)
class CareCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order", "active")
    list_editable = ("name", "order", "active")
