from typing import Any

from django.contrib import admin

from gridgov.core.pii import mask_phone
from gridgov.notify.models import CitizenMessage, Delivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "case_number", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("case_number", "title")
    readonly_fields = [f.name for f in Notification._meta.fields]


class _OutsideMessageAdmin(admin.ModelAdmin):
    """Read-only: what went out, what failed and why (the gateway's answer per attempt)."""

    list_filter = ("status", "channel")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(_OutsideMessageAdmin):
    list_display = ("created_at", "key", "channel", "user", "status", "attempts", "next_attempt_at", "error")
    search_fields = ("key", "user__username")
    fields = (*list_display, "claimed_at", "sent_at")
    readonly_fields = fields


@admin.register(CitizenMessage)
class CitizenMessageAdmin(_OutsideMessageAdmin):
    list_display = (
        "created_at", "case_numbers", "phone_masked", "channel", "status", "attempts",
        "next_attempt_at", "error",
    )  # fmt: skip
    search_fields = ("case_numbers", "key")
    # The number only masked: the clear one is never shown here.
    fields = (*list_display, "key", "text", "claimed_at", "sent_at")
    readonly_fields = fields

    @admin.display(description="手机号码")
    def phone_masked(self, obj: CitizenMessage) -> str:
        return mask_phone(obj.phone)
