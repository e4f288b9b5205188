from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from gridgov.sla.calendar import Period
from gridgov.sla.enums import CalendarDayOrigin


class CalendarDay(models.Model):
    """An administrator's answer for one date, winning over chinese-calendar.

    Needed for the years the library does not cover yet (the State Council publishes each year's
    schedule late in the year before) and for local deviations.
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", help_text="勾选:这天上班(含调休上班);不勾选:这天休息")
    name = models.CharField("名称", max_length=50, blank=True, help_text="如 国庆节、国庆节调休上班")
    note = models.CharField("备注", max_length=200, blank=True)
    origin = models.CharField(
        "来源", max_length=16, choices=CalendarDayOrigin.choices, default=CalendarDayOrigin.MANUAL
    )
    # Part of the cache's version stamp (selectors.current_calendar), so other processes see edits.
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "休息"
        return f"{self.date:%Y-%m-%d} {kind} {self.name}".strip()


class BusinessHours(models.Model):
    """The working hours of every working day: a morning and an afternoon period.

    One row for the whole platform for now; `key` leaves room for one row per region later
    without changing how the calendar reads it. Without a row the model defaults apply.
    """

    key = models.CharField(max_length=32, unique=True, default="default", editable=False)
    morning_start = models.TimeField("上午上班", default=time(9, 0))
    morning_end = models.TimeField("上午下班", default=time(12, 0))
    afternoon_start = models.TimeField("下午上班", default=time(13, 30))
    afternoon_end = models.TimeField("下午下班", default=time(17, 30))
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "工作时间"
        verbose_name_plural = "工作时间"
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_start__lt=F("morning_end"))
                & Q(morning_end__lte=F("afternoon_start"))
                & Q(afternoon_start__lt=F("afternoon_end")),
                name="sla_business_hours_in_order",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.morning_start:%H:%M}–{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}–{self.afternoon_end:%H:%M}"
        )

    def clean(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValidationError(
                "时间须依次为:上午上班 < 上午下班 ≤ 下午上班 < 下午下班 / "
                "times must run morning start < morning end ≤ afternoon start < afternoon end"
            )

    @property
    def periods(self) -> tuple[Period, Period]:
        return (
            Period(self.morning_start, self.morning_end),
            Period(self.afternoon_start, self.afternoon_end),
        )
