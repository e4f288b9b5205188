"""Admin: partners are visible and revocable here (keys are issued on the command line, where
the key can be shown once); service attributes are edited here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.core import clock
from gridgov.open311.models import Open311Client, ServiceAttribute
from gridgov.open311.services import client_revoke


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "channel", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("channel",)
    search_fields = ("name", "prefix")
    readonly_fields = ("name", "prefix", "channel", "user", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `gridgov open311 new-key NAME` issues keys, showing each once

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: its cases name it

    @admin.action(description="吊销所选接入方的 api_key")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        for client in queryset:
            client_revoke(name=client.name, now=clock.now())
        messages.success(request, f"已吊销 {queryset.count()} 个接入方的 api_key")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "description", "datatype", "required", "order")
    list_filter = ("datatype", "required")
    search_fields = ("code", "description", "category__code", "category__name")
    autocomplete_fields = ("category",)
