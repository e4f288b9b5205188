"""Open311 partners and the extra questions (attributes) a service asks."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.cases.enums import Channel
from gridgov.cases.models import Category
from gridgov.open311.enums import Datatype


class Open311Client(models.Model):
    """A partner system allowed to POST requests (an upper-level platform, a city app). Only
    the SHA-256 of its api_key is kept; the key is shown once, when it is issued."""

    name = models.CharField("名称", max_length=100, unique=True)
    prefix = models.CharField("前缀", max_length=8, help_text="密钥开头几位,用于区分密钥")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    # The account its requests are registered as (a system account of the receiving centre).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记账号"
    )
    created_at = models.DateTimeField("签发时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Open311 接入方"
        verbose_name_plural = "Open311 接入方"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ServiceAttribute(models.Model):
    """An extra question of a service (GeoReport v2 service definition), edited in the admin."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="open311_attributes", verbose_name="事项分类"
    )
    code = models.CharField("编码", max_length=32)
    description = models.CharField("问题", max_length=200)
    datatype = models.CharField("类型", max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField("必填", default=False)
    variable = models.BooleanField("需要填写", default=True, help_text="否:仅作说明,不收集回答")
    datatype_description = models.CharField("填写说明", max_length=200, blank=True)
    order = models.PositiveIntegerField("顺序", default=1)
    values = models.JSONField(
        "选项", default=list, blank=True, help_text='单选/多选的选项:[{"key": "a", "name": "甲"}]'
    )

    class Meta:
        ordering = ["category__code", "order", "code"]
        verbose_name = "Open311 服务属性"
        verbose_name_plural = "Open311 服务属性"
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="serviceattribute_unique")]

    def __str__(self) -> str:
        return f"{self.category.code} {self.code}"
