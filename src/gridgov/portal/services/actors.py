"""The accounts the portal acts through. Intake and the loop act as a user bound to a centre;
a citizen is nobody's user, so each centre the portal deals with gets one system account
(unusable password: it cannot log in) that receives the citizen's reports and records the
citizen's rating as the follow-up (回访). Events name this account, never a staff member."""

from __future__ import annotations

from django.db import transaction

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center, User
from gridgov.accounts.services import user_create
from gridgov.core.errors import DomainError
from gridgov.geo.enums import RegionLevel

DISPLAY_NAME = "市民服务平台(系统)"


class PortalUnavailable(DomainError):
    status = 503
    code = "portal_not_configured"


def portal_username(center: Center) -> str:
    return f"portal-{center.region.code}"


def receiving_center() -> Center:
    """The centre that receives citizens' reports: the city's, else the highest there is. Intake
    then hands each case to the centre of its place (首问负责 from the top)."""
    for level in RegionLevel:  # from the top down: one query per level until one is found
        center = (
            Center.objects.select_related("region")
            .defer("region__boundary")
            .filter(region__level=level)
            .order_by("region__code")
            .first()
        )
        if center is not None:
            return center
    raise PortalUnavailable(
        "平台尚未设置指挥中心,暂不能受理", "no command centre is set up to receive reports"
    )


@transaction.atomic
def portal_actor_for(center: Center) -> User:
    user = User.objects.filter(username=portal_username(center)).first()
    if user is not None:
        return user
    return user_create(
        username=portal_username(center),
        role=Role.DISPATCHER,
        password=None,
        center=center,
        display_name=DISPLAY_NAME,
    )
