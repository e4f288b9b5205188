"""Field work that the registry does not hold: patrols with their GPS track and household visits.
Key-person visits live in the registry's ledger (`registry.Visit`); cases in `cases`.

Each row a phone creates carries the phone's own `client_key` (unique), so an offline outbox that
sends the same item twice makes one row."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.field.enums import PatrolStatus
from gridgov.geo.models import Grid, Region


class Patrol(models.Model):
    """巡查: one round through a grid; with a community police officer it is a joint patrol (警网联勤)."""

    client_key = models.CharField(max_length=64, unique=True)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="网格员"
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name="网格")
    police = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="联勤民警",
    )
    status = models.CharField("状态", max_length=8, choices=PatrolStatus.choices, default=PatrolStatus.ACTIVE)
    note = models.TextField("备注", blank=True)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    # Computed on the server from the track (great-circle length of the time-ordered points).
    distance_m = models.FloatField("里程(米)", default=0.0)
    point_count = models.PositiveIntegerField("轨迹点数", default=0)
    created_at = models.DateTimeField("录入时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "巡查"
        verbose_name_plural = "巡查"
        indexes = [models.Index(fields=["worker", "started_at"])]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def joint(self) -> bool:
        return self.police_id is not None

    @property
    def duration_s(self) -> int:
        if self.ended_at is None:
            return 0
        return max(0, int((self.ended_at - self.started_at).total_seconds()))


class PatrolPoint(models.Model):
    """One GPS fix of a patrol's track. One point per patrol and instant: a batch sent twice adds nothing."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    at = models.DateTimeField()
    lon = models.FloatField()
    lat = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["patrol", "at"], name="field_point_unique")]


class PatrolHazard(models.Model):
    """A hazard found on a patrol, reported through the registry's hazard service; this row makes
    the report idempotent (the phone's key) and ties it to the patrol."""

    client_key = models.CharField(max_length=64, unique=True)
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="hazards")
    hazard = models.ForeignKey("registry.Hazard", on_delete=models.PROTECT, related_name="+")


class HouseholdVisit(models.Model):
    """入户走访: a visit to a household (not a key person: those go to the registry's ledger)."""

    client_key = models.CharField(max_length=64, unique=True)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="网格员"
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name="网格")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    household = models.CharField("户(门牌或户号)", max_length=120)
    visited_at = models.DateTimeField("走访时间")
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    notes = models.TextField("走访情况")
    photo = models.FileField("照片", upload_to="field/households/%Y/%m/", blank=True)
    created_at = models.DateTimeField("录入时间")

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = "入户走访"
        verbose_name_plural = "入户走访"
        indexes = [models.Index(fields=["worker", "visited_at"])]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_at:%Y-%m-%d}"


class PatrolPlan(models.Model):
    """巡查计划: a patrol planned for a grid in a time window (joint with the beat's officer or not).
    A patrol started in that grid in or just before the window fulfils it (services.plans)."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name="网格")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="网格员"
    )
    day = models.DateField("日期")
    window_start = models.DateTimeField("计划开始")
    window_end = models.DateTimeField("计划结束")
    joint = models.BooleanField("警网联勤", default=False)
    police = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="联勤民警",
    )
    # Null for the default plans the daily job makes.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patrol = models.ForeignKey(
        Patrol,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        verbose_name="完成巡查",
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        ordering = ["window_start", "id"]
        verbose_name = "巡查计划"
        verbose_name_plural = "巡查计划"
        indexes = [models.Index(fields=["grid", "day"]), models.Index(fields=["worker", "day"])]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.window_start:%Y-%m-%d %H:%M}"
