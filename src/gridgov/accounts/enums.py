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

# Roles whose view is the grids they serve, whatever centre they are attached to.
GRID_BOUND_ROLES = frozenset({Role.GRID_WORKER, Role.POLICE})


class GridDuty(models.TextChoices):
    HEAD = "head", "网格长"
    WORKER = "worker", "网格员"
    POLICE = "police", "社区民警(警格)"
    VOLUNTEER = "volunteer", "网格志愿者"


# Which roles may hold which duty on a grid. Volunteering is open to anyone who works in a centre.
DUTY_ROLES: dict[GridDuty, frozenset[Role]] = {
    GridDuty.HEAD: frozenset({Role.GRID_HEAD}),
    GridDuty.WORKER: frozenset({Role.GRID_WORKER}),
    GridDuty.POLICE: frozenset({Role.POLICE}),
    GridDuty.VOLUNTEER: frozenset(Role) - DEPARTMENT_ROLES,
}


class ScopeKind(models.TextChoices):
    EVERYTHING = "everything", "全部"
    REGION = "region", "本级区划及下级"
    DEPARTMENT = "department", "本部门"
    GRIDS = "grids", "本人网格"
    NOTHING = "nothing", "无"
