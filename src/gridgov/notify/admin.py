from django.contrib import admin

from gridgov.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "case_number", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("case_number", "title")
    readonly_fields = [f.name for f in Notification._meta.fields]
