from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    ISSUE = "issue", "我要报事"
    SUGGESTION = "suggestion", "我有话说"


class LimitScope(models.TextChoices):
    """What a rate limit counts: one bucket per scope and key (an IP address or a phone's index)."""

    SUBMIT_IP = "submit_ip", "同一网络地址提交"
    SUBMIT_PHONE = "submit_phone", "同一手机号提交"
    TRACK_IP = "track_ip", "同一网络地址查询"
    TRACK_CASE = "track_case", "同一事件编号查询"
