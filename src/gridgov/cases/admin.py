"""Admin: the taxonomy, routing rules and deadline policies are edited here; cases are read-only
(every change to a case goes through the loop, which writes its event)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.accounts.admin_audit import AuditedAdmin
from gridgov.cases.models import Case, CaseEvent, Category, DeadlinePolicy, RoutingRule


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "active")
    list_filter = ("active", "parent")
    search_fields = ("code", "name")


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ("region", "category", "target", "department", "center", "active")
    list_filter = ("target", "active")
    autocomplete_fields = ("category",)
    raw_id_fields = ("region", "department", "center")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdmin):
    list_display = (
        "category", "urgency", "level", "contact_amount", "contact_unit", "finish_amount", "finish_unit",
        "feedback_amount", "feedback_unit",
    )  # fmt: skip
    list_filter = ("urgency", "level")
    autocomplete_fields = ("category",)


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "status",
        "colour",
        "channel",
        "owner_center",
        "owner_department",
        "created_at",
    )
    list_filter = ("status", "colour", "channel", "urgency", "level")
    search_fields = ("number", "title")
    # Personal data stays out of the admin: reading it unmasked is an audited API call.
    exclude = ("reporter_name", "reporter_phone")
    inlines = [EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Case._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
