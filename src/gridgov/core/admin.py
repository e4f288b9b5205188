"""The audit log in the admin: searchable, filterable, and read-only for everyone, superusers
included; the log is evidence, so the application never edits or deletes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "username", "object_type", "object_id", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_id", "ip")
    date_hierarchy = "at"
    list_per_page = 100
    fields = ("at", "action", "username", "actor", "object_type", "object_id", "ip", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
