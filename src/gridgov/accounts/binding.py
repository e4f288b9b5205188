"""The rules that tie a role to where it works, said once for the services and the admin forms.

- a department handler (部门处置人员) belongs to a department, never to a centre;
- every other role belongs to a command centre (a superuser may stay unbound: it sees all);
- a grid duty fits the role (a grid head heads, a grid worker works, a police officer keeps a
  beat) and lies inside the region of the person's centre: a worker of 城关区 cannot be put on
  a grid of 七里河区.
"""

from __future__ import annotations

from gridgov.accounts.enums import DEPARTMENT_ROLES, DUTY_ROLES, GridDuty, Role
from gridgov.accounts.models import Center, Department, User
from gridgov.core.errors import InvalidInput
from gridgov.geo.models import Grid


def binding_check(
    *, role: Role | str, center: Center | None, department: Department | None, is_superuser: bool = False
) -> None:
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"未知角色 {role}", f"unknown role {role}", code="unknown_role") from None
    if center is not None and department is not None:
        raise InvalidInput(
            "用户只能隶属于一个指挥中心或一个职能部门,不能同时隶属两者",
            "a user belongs to a centre or a department, not both",
            code="two_bindings",
        )
    if is_superuser and center is None and department is None:
        # The first account, made by `createsuperuser` before any centre exists.
        return
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise InvalidInput(
                f"{role.label}必须隶属于一个职能部门",
                f"a {role.name.lower()} user must belong to a department",
                code="department_required",
            )
    elif center is None:
        raise InvalidInput(
            f"{role.label}必须隶属于一个指挥中心",
            f"a {role.name.lower()} user must belong to a command centre",
            code="center_required",
        )


def duty_check(*, user: User, grid: Grid, duty: GridDuty | str) -> None:
    try:
        duty = GridDuty(duty)
    except ValueError:
        raise InvalidInput(f"未知网格职责 {duty}", f"unknown grid duty {duty}", code="unknown_duty") from None
    if user.role not in DUTY_ROLES[duty]:
        raise InvalidInput(
            f"{user.get_role_display()}不能担任网格的「{duty.label}」",
            f"a {user.role} cannot serve a grid as {duty.value}",
            code="duty_role_mismatch",
        )
    if user.center_id is None:
        raise InvalidInput(
            "网格人员必须先隶属于一个指挥中心",
            "grid staff must belong to a command centre first",
            code="center_required",
        )
    region = user.center.region  # type: ignore[union-attr]
    if not grid.code.startswith(region.prefix):
        raise InvalidInput(
            f"网格 {grid.code} 不在 {user.center} 的辖区内",
            f"grid {grid.code} lies outside the region of {region.code}",
            code="grid_outside_center",
        )
