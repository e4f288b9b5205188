from __future__ import annotations

from django.db import models


class Colour(models.TextChoices):
    """三色管控: how much of its time an open case has used."""

    GREEN = "green", "绿色"
    YELLOW = "yellow", "黄色"
    RED = "red", "红色"


class DurationUnit(models.TextChoices):
    # Business units run only inside business hours on working days; clock units run always.
    WORKDAYS = "workdays", "工作日"
    WORK_HOURS = "work_hours", "工作小时"
    HOURS = "hours", "小时"
    MINUTES = "minutes", "分钟"

    @property
    def is_business(self) -> bool:
        return self in (DurationUnit.WORKDAYS, DurationUnit.WORK_HOURS)


class DaySource(models.TextChoices):
    """Where the answer "is this a working day" came from."""

    OVERRIDE = "override", "后台录入"
    LIBRARY = "library", "国务院安排(chinese-calendar)"
    WEEKEND_RULE = "weekend_rule", "未录入,按周六周日休息"


class CalendarDayOrigin(models.TextChoices):
    MANUAL = "manual", "手工录入"
    LIBRARY = "library", "从 chinese-calendar 载入"
