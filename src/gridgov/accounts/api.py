"""/api/v1/accounts: who am I, and what may I see."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import grids_visible, region_root_for, regions_visible, scope_for, unit_region

router = Router(tags=["accounts"])

# A grid worker serves a handful of grids; anyone with more is a centre user, whose scope is
# told by its region, so the list below is only a convenience and is cut short.
MAX_GRID_CODES = 200


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    center: str | None
    department: str | None
    region_code: str | None


class RegionRef(Schema):
    code: str
    name: str
    level: str


class DepartmentRef(Schema):
    code: str
    name: str


class ScopeOut(Schema):
    kind: ScopeKind
    kind_label: str
    root: RegionRef | None
    region_prefix: str | None
    department: DepartmentRef | None
    grid_codes: list[str]
    regions: int
    grids: int


@router.get("/me", response=MeOut, summary="当前用户 / the current user")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    region = unit_region(user)
    return MeOut(
        username=user.username,
        display_name=user.display_name,  # type: ignore[union-attr]
        role=user.role,  # type: ignore[union-attr]
        role_label=user.get_role_display(),  # type: ignore[union-attr]
        center=user.center.name if user.center_id else None,  # type: ignore[union-attr]
        department=user.department.name if user.department_id else None,  # type: ignore[union-attr]
        region_code=region.code if region else None,
    )


@router.get("/me/scope", response=ScopeOut, summary="当前用户的数据范围 / what the current user may see")
def my_scope(request: HttpRequest) -> ScopeOut:
    user = request.user
    scope = scope_for(user)
    root = region_root_for(user)
    department = user.department if scope.kind == ScopeKind.DEPARTMENT else None  # type: ignore[union-attr]
    return ScopeOut(
        kind=scope.kind,
        kind_label=scope.kind.label,
        root=RegionRef(code=root.code, name=root.name, level=root.level) if root else None,
        region_prefix=scope.prefix,
        department=DepartmentRef(code=department.code, name=department.name) if department else None,
        grid_codes=sorted(scope.grid_codes)[:MAX_GRID_CODES],
        regions=regions_visible(user).count(),
        grids=grids_visible(user).count(),
    )
