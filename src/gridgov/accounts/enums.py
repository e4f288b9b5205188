from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    LEADER = "leader", "领导"
    DISPATCHER = "dispatcher", "坐席/调度员"
    ANALYST = "analyst", "分析研判员"
    HANDLER = "handler", "部门处置人员"
    GRID_HEAD = "grid_head", "网格长"
    GRID_WORKER = "grid_worker", "网格员"
    POLICE = "police", "社区民警"
    MEDIATOR = "mediator", "调解员"


# Roles whose work happens in a department rather than a command centre.
DEPARTMENT_ROLES = frozenset({Role.HANDLER})


class GridDuty(models.TextChoices):
    HEAD = "head", "网格长"
    WORKER = "worker", "网格员"
    POLICE = "police", "社区民警(警格)"
    VOLUNTEER = "volunteer", "网格志愿者"
