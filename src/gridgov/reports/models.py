"""Reports: one row per (kind, region, period), its versions, and the chart images of each
version. The figures a version was written from are frozen in `ReportVersion.data`, so a
published report reads the same next year whatever happens to the cases since."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.geo.models import Region
from gridgov.reports.enums import GenerationStatus, ReportKind, VersionState


class Report(models.Model):
    kind = models.CharField("类型", max_length=16, choices=ReportKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="范围")
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    status = models.CharField(
        "生成状态", max_length=16, choices=GenerationStatus.choices, default=GenerationStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度", default=0)
    progress_note = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Asked for again with fresh figures: the next generation writes a new version.
    regenerate = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "简报通报"
        verbose_name_plural = "简报通报"
        ordering = ("-period_start", "kind", "region__code")
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "period_start"], name="report_once_per_period")
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="report_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} {self.period_start}"


class ReportVersion(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本")
    state = models.CharField("状态", max_length=16, choices=VersionState.choices, default=VersionState.DRAFT)
    data = models.JSONField("数据", default=dict)
    # [{"key": Section value, "title": "...", "text": "..."}], in print order.
    sections = models.JSONField("正文", default=list)
    generated_at = models.DateTimeField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "简报版本"
        verbose_name_plural = "简报版本"
        ordering = ("report", "number")
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_once")]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.number}"


class ReportChart(models.Model):
    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="charts")
    key = models.CharField(max_length=32)
    title = models.CharField(max_length=100)
    png = models.BinaryField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("version", "position")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="report_chart_once")]
