from __future__ import annotations

from django.db import models

from gridgov.accounts.enums import Role


class PatrolStatus(models.TextChoices):
    ACTIVE = "active", "巡查中"
    DONE = "done", "已结束"


# Who works with the phone app: the grid's own people. Others read the summaries only.
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_HEAD})


class PlanState(models.TextChoices):
    """What a patrol plan shows: computed from its patrol, its window and the time, never stored."""

    DONE = "done", "已完成"
    PENDING = "pending", "未开始"
    OVERDUE = "overdue", "已逾期"
    CANCELLED = "cancelled", "已取消"
