"""Who works where: centres and departments, users bound to one of them, and grid staff.

The rules that tie a role to its binding live in accounts/binding.py and are enforced by the
services (accounts/services.py) and the admin forms; the constraints below are the database's
backstop for the two that can be said in SQL.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from gridgov.accounts.enums import GridDuty, Role
from gridgov.core.crypto import EncryptedTextField
from gridgov.geo.models import Grid, Region


class Center(models.Model):
    """The command centre (指挥中心) of one region, at any level."""

    region = models.OneToOneField(
        Region, on_delete=models.PROTECT, related_name="center", verbose_name="区划"
    )
    name = models.CharField("名称", max_length=100)

    class Meta:
        ordering = ["region__code"]
        verbose_name = "指挥中心"
        verbose_name_plural = "指挥中心"

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A functional bureau (职能部门) of one region, e.g. 城关区住建局."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departments", verbose_name="区划"
    )
    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=32, blank=True)

    class Meta:
        ordering = ["region__code", "code"]
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"

    def __str__(self) -> str:
        return self.name


class GridGovUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        # `createsuperuser` does not ask for a role; the first account is the system admin.
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    center = models.ForeignKey(
        Center,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name="所属指挥中心",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name="所属部门",
    )
    display_name = models.CharField("姓名", max_length=64, blank=True)
    # For SMS notices (docs/worker.md). Encrypted at rest like every phone; the blind index
    # finds a user by number. Written through accounts.services (validated: a mainland mobile).
    phone = EncryptedTextField(
        "手机号码", blank=True, index_field="phone_index", normalizer="gridgov.core.pii.normalize_phone"
    )
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    objects: ClassVar[GridGovUserManager] = GridGovUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            # One binding: a centre or a department, never both. Superusers made by
            # `createsuperuser` for first setup may have neither until an admin binds them.
            models.CheckConstraint(
                condition=~(Q(center__isnull=False) & Q(department__isnull=False)),
                name="user_one_binding",
                violation_error_message="用户只能隶属于一个指挥中心或一个职能部门,不能同时隶属两者",
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=True) | Q(role=Role.HANDLER),
                name="user_department_only_for_handlers",
                violation_error_message="只有部门处置人员可以隶属于职能部门",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def unit(self) -> Center | Department | None:
        return self.center or self.department


class GridStaff(models.Model):
    """Who serves a grid and as what: grid head, grid worker, police officer of the beat."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="staff", verbose_name="网格")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grid_duties", verbose_name="人员")
    duty = models.CharField("职责", max_length=16, choices=GridDuty.choices)

    class Meta:
        verbose_name = "网格人员"
        verbose_name_plural = "网格人员"
        constraints = [models.UniqueConstraint(fields=["grid", "user", "duty"], name="gridstaff_unique")]
        indexes = [models.Index(fields=["user", "duty"])]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.get_duty_display()} {self.user}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8, help_text="令牌开头几位,用于区分令牌")
    name = models.CharField("用途", max_length=100, blank=True)
    created_at = models.DateTimeField("签发时间")
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
