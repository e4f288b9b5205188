"""Admin classes whose every change reaches the audit log.

Single changes are copied from Django's LogEntry by a post_save receiver (accounts/signals.py),
but deleting several objects at once writes LogEntry rows with bulk_create, which sends no
signal; this base class audits that path itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.accounts.signals import audit_log_entry


class AuditedAdmin(admin.ModelAdmin):
    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        entries = super().log_deletions(request, queryset)
        if len(entries) > 1:
            for entry in entries:
                audit_log_entry(entry)
        return entries
