"""The writers of accounts: centres, departments, users and grid duties.

Views, the admin, commands and the demo go through these (the admin through the same rules in
accounts/binding.py), so a handler without a department or a grid worker on another county's
grid is refused the same way everywhere, with a message in Chinese and English.
"""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from gridgov.accounts.binding import binding_check, duty_check
from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.accounts.tokens import token_revoke_all
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.core.pii import normalize_phone
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region


def center_default_name(region: Region) -> str:
    if region.level == RegionLevel.TOWNSHIP:
        return f"{region.name}综治中心"
    if region.level == RegionLevel.COMMUNITY:
        return f"{region.name}网格工作站"
    return f"{region.name}社会治理综合指挥中心"


def center_create(*, region: Region, name: str = "") -> Center:
    if Center.objects.filter(region=region).exists():
        raise Conflict(
            f"{region.name}已有指挥中心", f"region {region.code} already has a centre", code="center_exists"
        )
    return Center.objects.create(region=region, name=name or center_default_name(region))


def department_create(*, region: Region, code: str, name: str, short_name: str = "") -> Department:
    if not code or not name:
        raise InvalidInput("部门编码和名称不能为空", "a department needs a code and a name")
    if Department.objects.filter(code=code).exists():
        raise Conflict(f"部门编码 {code} 已存在", f"department code {code} exists", code="department_exists")
    return Department.objects.create(region=region, code=code, name=name, short_name=short_name)


MOBILE = re.compile(r"1[3-9][0-9]{9}")


def phone_check(phone: str) -> str:
    """A mainland mobile number in its normal form (digits, no +86), or "" for none."""
    raw = (phone or "").strip()
    if not raw:
        return ""
    normal = normalize_phone(raw)
    if not MOBILE.fullmatch(normal):
        raise InvalidInput(
            f"手机号码“{raw}”无效:须为 11 位中国大陆手机号(1 开头,第二位 3–9)",
            f"{raw!r} is not a mainland mobile number (11 digits, 1[3-9]…)",
            code="bad_phone",
        )
    return normal


def user_set_phone(*, user: User, phone: str) -> User:
    """Set (or with "" clear) the number SMS notices go to."""
    user.phone = phone_check(phone)
    user.save(update_fields=["phone", "phone_index"])
    return user


def _policy_problems(password: str, user: User | None, language: str) -> list[str]:
    # Validators' messages are lazy: they must be read while the language is active.
    with translation.override(language):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return [str(m) for m in exc.messages]
    return []


def password_check(*, password: str, user: User | None = None) -> None:
    """The password policy of settings.AUTH_PASSWORD_VALIDATORS, as a domain error."""
    problems = _policy_problems(password, user, "zh-hans")
    if problems:
        english = _policy_problems(password, user, "en")
        raise InvalidInput(";".join(problems), " ".join(english), code="weak_password", problems=problems)


@transaction.atomic
def user_create(
    *,
    username: str,
    role: Role,
    password: str | None,
    center: Center | None = None,
    department: Department | None = None,
    display_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    phone: str = "",
) -> User:
    """A new user bound where it works. password None makes an account that cannot log in
    with a password until one is set (e.g. API-only)."""
    username = username.strip()
    if not username:
        raise InvalidInput("用户名不能为空", "a username is required", code="username_required")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"用户名 {username} 已存在", f"username {username} is taken", code="username_taken")
    binding_check(role=role, center=center, department=department, is_superuser=is_superuser)
    phone = phone_check(phone)
    user = User(
        username=username,
        role=role,
        center=center,
        department=department,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
        phone=phone,
    )
    if password is None:
        user.set_unusable_password()
    else:
        password_check(password=password, user=user)
        user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_bind(
    *, user: User, role: Role, center: Center | None = None, department: Department | None = None
) -> User:
    """Move a user to another role or unit. Its grid duties must still fit, or it is refused."""
    binding_check(role=role, center=center, department=department, is_superuser=user.is_superuser)
    user.role, user.center, user.department = role, center, department
    for duty in GridStaff.objects.filter(user=user).select_related("grid"):
        duty_check(user=user, grid=duty.grid, duty=duty.duty)
    user.save(update_fields=["role", "center", "department"])
    return user


def user_set_password(*, user: User, password: str) -> User:
    password_check(password=password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Stop an account: no login, and its API tokens stop working."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    token_revoke_all(user=user)
    return user


def grid_staff_assign(*, user: User, grid: Grid, duty: GridDuty) -> GridStaff:
    """Put a user on a grid; assigning the same duty twice is not an error."""
    duty_check(user=user, grid=grid, duty=duty)
    staff, _ = GridStaff.objects.get_or_create(user=user, grid=grid, duty=GridDuty(duty))
    return staff


def grid_staff_remove(*, user: User, grid: Grid, duty: GridDuty) -> bool:
    deleted, _ = GridStaff.objects.filter(user=user, grid=grid, duty=duty).delete()
    return bool(deleted)
