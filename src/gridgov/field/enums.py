from __future__ import annotations

from django.db import models

from gridgov.accounts.enums import Role


class PatrolStatus(models.TextChoices):
    ACTIVE = "active", "巡查中"
    DONE = "done", "已结束"


# Who works with the phone app: the grid's own people. Others read the summaries only.
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_HEAD})
