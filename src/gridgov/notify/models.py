"""Notifications, their deliveries through outside channels, and the worker's own bookkeeping.

Every row that stands for "this was done" carries a unique key, so a job that runs again after a
crash (the worker reclaims it, docs/worker.md) finds its earlier work and does not repeat it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gridgov.core.crypto import EncryptedTextField
from gridgov.notify.enums import DeliveryStatus, NotificationKind


class Notification(models.Model):
    """站内通知: one message to one user, shown in the app until read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=NotificationKind.choices)
    case_number = models.CharField("事件编号", max_length=32, blank=True)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    # What caused it ("notice:12", "event:345"): one notification per user per cause.
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_cause")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.title}"


class Delivery(models.Model):
    """One message through one outside channel (SMS, log …) to one user. Claimed before sending
    (pending → sending) so two workers never send it both; a claim older than the lease is
    taken over, which is the one window where a message can go out twice (docs/worker.md)."""

    key = models.CharField(max_length=64)
    channel = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a temporary failure: not before this (exponential backoff, services.backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "channel", "user"], name="delivery_once_per_channel")
        ]
        indexes = [
            models.Index(
                fields=["status", "claimed_at"],
                name="delivery_unsent",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]


class CitizenMessage(models.Model):
    """A text to a citizen who is not a user (a case's reporter), through one outside channel
    that can reach a phone (SMS, or the log). Claimed and retried like a Delivery. The number is
    encrypted; the blind index makes "once per number per cause" a unique constraint, so a
    fan-out that runs again sends nothing twice."""

    key = models.CharField(max_length=64)  # the cause, e.g. "closed:<event id>"
    channel = models.CharField(max_length=32)
    phone = EncryptedTextField(
        "手机号码", index_field="phone_index", normalizer="gridgov.core.pii.normalize_phone"
    )
    phone_index = models.CharField(max_length=64, editable=False)
    case_numbers = models.CharField("事件编号", max_length=200)  # the reporter's own case(s)
    text = models.TextField("内容")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "群众短信"
        verbose_name_plural = "群众短信"
        constraints = [
            models.UniqueConstraint(fields=["key", "channel", "phone_index"], name="citizenmessage_once")
        ]
        indexes = [
            models.Index(
                fields=["status", "claimed_at"],
                name="citizenmessage_unsent",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]


class OutboxCursor(models.Model):
    """How far a reader of an append-only table (CaseEvent, Notice) has come.

    `last_id` is the highest id handled; `gaps` the ids below it not seen yet, each with the
    wall-clock second it was first missed: on PostgreSQL an id is handed out before its row
    commits, so a lower id can appear after a higher one. Gaps are re-read until they appear or
    grow older than the gap window (a rolled-back insert leaves a gap forever)."""

    name = models.CharField(max_length=64, unique=True)
    last_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class WorkerHeartbeat(models.Model):
    """A live worker process: it beats every few seconds; a RUNNING task whose worker stopped
    beating longer than the lease ago is handed back to the queue."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)


class ScheduledRun(models.Model):
    """One periodic job per period: the unique (name, slot) keeps two schedulers from enqueueing
    the same run twice."""

    name = models.CharField(max_length=64)
    slot = models.BigIntegerField()
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduledrun_once_per_slot")]
