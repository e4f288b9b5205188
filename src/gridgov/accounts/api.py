from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    center: str | None
    department: str | None
    region_code: str | None


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    from gridgov.accounts.scope import unit_region

    user = request.user
    region = unit_region(user)
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=user.get_role_display(),
        center=user.center.name if user.center_id else None,
        department=user.department.name if user.department_id else None,
        region_code=region.code if region else None,
    )
