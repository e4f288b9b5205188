from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    DAILY = "daily", "日报"
    WEEKLY = "weekly", "周报"
    MONTHLY = "monthly", "月通报"
    QUARTERLY = "quarterly", "季问效"


class GenerationStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"


class VersionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class Section(models.TextChoices):
    """The sections of a report, in the order they are printed."""

    OVERVIEW = "overview", "总体情况"
    CHANGES = "changes", "升降变化"
    REGIONS = "regions", "区域排名"
    DEPARTMENTS = "departments", "部门排名"
    CATEGORIES = "categories", "类别分析"
    PLACES = "places", "重复发生的地点"
    OVERDUE = "overdue", "超期事件"
    REMARKS = "remarks", "工作建议"


# Which sections each kind carries: the daily report is short, the monthly report carries the
# rankings and the overdue list, the quarterly review everything plus the remarks.
SECTIONS_OF: dict[str, tuple[Section, ...]] = {
    ReportKind.DAILY: (Section.OVERVIEW, Section.CHANGES, Section.CATEGORIES, Section.OVERDUE),
    ReportKind.WEEKLY: (
        Section.OVERVIEW,
        Section.CHANGES,
        Section.REGIONS,
        Section.DEPARTMENTS,
        Section.CATEGORIES,
        Section.PLACES,
        Section.OVERDUE,
    ),
    ReportKind.MONTHLY: (
        Section.OVERVIEW,
        Section.CHANGES,
        Section.REGIONS,
        Section.DEPARTMENTS,
        Section.CATEGORIES,
        Section.PLACES,
        Section.OVERDUE,
        Section.REMARKS,
    ),
    ReportKind.QUARTERLY: (
        Section.OVERVIEW,
        Section.CHANGES,
        Section.REGIONS,
        Section.DEPARTMENTS,
        Section.CATEGORIES,
        Section.PLACES,
        Section.OVERDUE,
        Section.REMARKS,
    ),
}
