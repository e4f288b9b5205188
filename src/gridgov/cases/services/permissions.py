"""Whether a user is one of the people a rule of states.py names, for this case."""

from __future__ import annotations

from typing import Any

from gridgov.accounts.enums import Role
from gridgov.accounts.models import GridStaff
from gridgov.cases.enums import PartStatus
from gridgov.cases.models import Case
from gridgov.cases.states import Rule, Unit, Who
from gridgov.geo.models import Grid


def _is(user: Any, who: Who, case: Case) -> bool:
    if user.role not in who.roles:
        return False
    if who.unit is Unit.CENTER:
        return bool(user.center_id) and user.center_id == case.owner_center_id
    if who.unit is Unit.UPPER:
        return bool(user.center_id) and case.owner_center.region.code.startswith(user.center.region.prefix)
    if who.unit is Unit.DEPARTMENT:
        return bool(user.department_id) and user.department_id == case.owner_department_id
    if who.unit is Unit.PART:
        return (
            bool(user.department_id)
            and case.parts.filter(department_id=user.department_id, status=PartStatus.OPEN).exists()
        )
    if who.unit is Unit.GRID:
        # By ids: the grid's own row (and its polygon) is not needed to answer.
        if case.grid_id is None:
            return False
        if GridStaff.objects.filter(user_id=user.pk, grid_id=case.grid_id).exists():
            return True
        # A grid head answers for every grid of the community whose centre it belongs to.
        return (
            user.role == Role.GRID_HEAD
            and bool(user.center_id)
            and Grid.objects.filter(pk=case.grid_id, community_id=user.center.region_id).exists()
        )
    return False  # pragma: no cover


def may_act(user: Any, rule: Rule, case: Case) -> bool:
    return any(_is(user, who, case) for who in rule.who)
