"""What the portal keeps of its own: which submission made which case (so a double tap or a
retry answers the first case), and the rate-limit counters, in the database so that every web
worker counts against the same buckets."""

from __future__ import annotations

from django.db import models

from gridgov.cases.models import Case
from gridgov.portal.enums import LimitScope, ReportKind


class PortalReport(models.Model):
    # sha256 of the client's submission key and the reporter's phone: two citizens who happen to
    # send the same key never meet, and the key itself is not kept.
    key_digest = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    kind = models.CharField("类型", max_length=16, choices=ReportKind.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+", verbose_name="事件")
    created_at = models.DateTimeField("提交时间")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "市民端提交"
        verbose_name_plural = "市民端提交"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id}"


class RateCounter(models.Model):
    """Requests counted in one fixed window. Keys are hashed (an IP or a phone never appears)."""

    scope = models.CharField(max_length=16, choices=LimitScope.choices)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key", "window_start"], name="ratecounter_unique")
        ]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]
