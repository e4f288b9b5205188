"""Admin: the portal's submissions are read-only (each is a case, changed only through the loop)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.portal.models import PortalReport


@admin.register(PortalReport)
class PortalReportAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    readonly_fields = ("case", "kind", "created_at")
    exclude = ("key_digest", "fingerprint")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
