"""Configuration in Django's admin: centres, departments, users with their grid duties, tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from gridgov.accounts.admin_audit import AuditedAdmin
from gridgov.accounts.admin_forms import GridStaffForm, GridStaffFormSet, UserAddForm, UserEditForm
from gridgov.accounts.models import ApiToken, Center, Department, GridStaff, User
from gridgov.accounts.tokens import token_revoke
from gridgov.core import clock
from gridgov.core.pii import mask_phone
from gridgov.geo.enums import RegionLevel


class RegionLevelFilter(admin.SimpleListFilter):
    title = "区划层级"
    parameter_name = "level"
    field = "region__level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(level.value, level.label) for level in RegionLevel]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class UnitLevelFilter(RegionLevelFilter):
    title = "所属单位层级"

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(center__region__level=self.value()) | queryset.filter(
                department__region__level=self.value()
            )
        return queryset


@admin.register(Center)
class CenterAdmin(AuditedAdmin):
    list_display = ("name", "region_code", "level", "users_count")
    list_filter = (RegionLevelFilter,)
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Center]:
        return super().get_queryset(request).annotate(users_count=Count("users"))

    @admin.display(description="区划代码", ordering="region__code")
    def region_code(self, obj: Center) -> str:
        return obj.region.code

    @admin.display(description="层级", ordering="region__level")
    def level(self, obj: Center) -> str:
        return obj.region.get_level_display()

    @admin.display(description="用户数", ordering="users_count")
    def users_count(self, obj: Any) -> int:
        return obj.users_count


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "short_name", "region", "users_count")
    list_filter = (RegionLevelFilter, "short_name")
    search_fields = ("code", "name", "short_name", "region__name", "region__code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return super().get_queryset(request).annotate(users_count=Count("users"))

    @admin.display(description="用户数", ordering="users_count")
    def users_count(self, obj: Any) -> int:
        return obj.users_count


class GridStaffOfUserInline(admin.TabularInline):
    model = GridStaff
    fk_name = "user"
    form = GridStaffForm
    formset = GridStaffFormSet
    fields = ("grid", "duty")
    autocomplete_fields = ("grid",)
    extra = 0
    verbose_name = "网格职责"
    verbose_name_plural = "网格职责"


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    inlines = (GridStaffOfUserInline,)
    list_display = (
        "username", "display_name", "role", "unit_name", "phone_masked",
        "is_active", "is_staff", "last_login",
    )  # fmt: skip
    list_filter = ("role", UnitLevelFilter, "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "center__name", "department__name", "center__region__code")
    list_select_related = ("center", "department")
    autocomplete_fields = ("center", "department")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("身份与隶属", {"fields": ("display_name", "role", "center", "department", "email")}),
        ("联系方式", {"fields": ("new_phone", "clear_phone")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "usable_password",
                    "password1",
                    "password2",
                    "display_name",
                    "role",
                    "center",
                    "department",
                    "new_phone",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    @admin.display(description="所属单位")
    def unit_name(self, obj: User) -> str:
        return str(obj.unit or "—")

    @admin.display(description="手机号码")
    def phone_masked(self, obj: User) -> str:
        return mask_phone(obj.phone) or "—"


@admin.register(GridStaff)
class GridStaffAdmin(AuditedAdmin):
    form = GridStaffForm
    list_display = ("grid_code", "grid_name", "duty", "user", "user_role")
    list_filter = ("duty",)
    search_fields = ("grid__code", "grid__name", "user__username", "user__display_name")
    autocomplete_fields = ("grid", "user")
    list_select_related = ("grid", "user")

    @admin.display(description="网格编码", ordering="grid__code")
    def grid_code(self, obj: GridStaff) -> str:
        return obj.grid.code

    @admin.display(description="网格", ordering="grid__name")
    def grid_name(self, obj: GridStaff) -> str:
        return obj.grid.name

    @admin.display(description="角色", ordering="user__role")
    def user_role(self, obj: GridStaff) -> str:
        return obj.user.get_role_display()


class TokenStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("live", "有效"), ("revoked", "已吊销"), ("expired", "已过期")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = clock.now()
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Tokens are issued by `gridgov accounts token` (the only moment the token is shown);
    here they can be seen and revoked. The digest never leaves the database."""

    list_display = ("prefix_shown", "user", "name", "created_at", "expires_at", "last_used_at", "status")
    list_filter = (TokenStatusFilter,)
    search_fields = ("user__username", "name", "prefix")
    list_select_related = ("user",)
    fields = ("prefix_shown", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.display(description="令牌", ordering="prefix")
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"ggv_{obj.prefix}…"

    @admin.display(description="状态")
    def status(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return "已吊销"
        if obj.expires_at and obj.expires_at <= clock.now():
            return "已过期"
        return "有效"

    @admin.action(description="吊销所选令牌", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset:
            if token_revoke(token=token):
                revoked += 1
                self.log_change(request, token, "吊销令牌")
        self.message_user(request, f"已吊销 {revoked} 个令牌。", messages.SUCCESS)
