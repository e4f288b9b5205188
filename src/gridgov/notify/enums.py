from __future__ import annotations

from django.db import models


class NotificationKind(models.TextChoices):
    WARNING = "warning", "预警单"
    ASSIGNMENT = "assignment", "交办单"
    SUPERVISION = "supervision", "督办单"
    ESCALATED = "escalated", "事件上报"
    SENT_DOWN = "sent_down", "事件下派"
    RETURNED = "returned", "事件退回"
    REPORTED = "reported", "待核查"
    ASSIST = "assist", "协办"
    OTHER = "other", "其他"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
