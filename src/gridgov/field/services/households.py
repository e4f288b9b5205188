"""入户走访: a household visit. Key-person visits go to the registry's ledger instead
(`registry.services.visit_record`); this is the plain household round of 铁脚板."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from gridgov.accounts.scope import grids_visible
from gridgov.core.errors import Conflict, Forbidden, InvalidInput
from gridgov.core.files import kept_with
from gridgov.field.enums import FIELD_ROLES
from gridgov.field.models import HouseholdVisit
from gridgov.field.services.keys import client_key_checked
from gridgov.field.services.patrols import CLOCK_SLACK
from gridgov.geo.locate import check_point
from gridgov.registry.services.keypersons import photo_checked


def household_visit_record(
    *,
    actor: Any,
    client_key: str,
    grid_code: str,
    household: str,
    notes: str,
    visited_at: dt.datetime,
    lon: float | None = None,
    lat: float | None = None,
    photo: Any = None,
    now: dt.datetime,
) -> tuple[HouseholdVisit, bool]:
    """(visit, created). The same key again answers the visit already recorded."""
    if not getattr(actor, "is_authenticated", False) or actor.role not in FIELD_ROLES:
        raise Forbidden(
            "只有网格员和网格长可以录入走访",
            "only grid workers and grid heads record visits",
            code="field_forbidden",
        )
    client_key = client_key_checked(client_key)
    existing = HouseholdVisit.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.worker_id != actor.pk:
            raise Conflict(
                "该 client_key 已被使用", "this client_key is already used", code="client_key_reused"
            )
        return existing, False
    grid = grids_visible(actor).filter(code=grid_code).defer("boundary").first()
    if grid is None:
        raise InvalidInput(
            f"网格 {grid_code} 不在您的负责范围内", f"grid {grid_code} is not yours", code="bad_grid"
        )
    household, notes = household.strip(), notes.strip()
    if not household:
        raise InvalidInput(
            "请填写户(门牌或户号)",
            "name the household (door number or household number)",
            code="household_required",
        )
    if not notes:
        raise InvalidInput("请填写走访情况", "describe what was found", code="notes_required")
    if visited_at > now + CLOCK_SLACK:
        raise InvalidInput("走访时间不能晚于现在", "the visit cannot be in the future", code="future_time")
    if (lon is None) != (lat is None):
        raise InvalidInput(
            "经度和纬度须同时填写", "give both longitude and latitude, or neither", code="bad_location"
        )
    if lon is not None:
        check_point(lon, lat)
    file = photo_checked(photo, client_key)
    visit = HouseholdVisit(
        client_key=client_key,
        worker=actor,
        grid=grid,
        community_id=grid.community_id,
        household=household[:120],
        visited_at=visited_at,
        lon=lon,
        lat=lat,
        notes=notes,
        created_at=now,
    )
    try:
        with kept_with() as store, transaction.atomic():
            if file is not None:
                store(visit.photo, file)
            visit.save()
    except IntegrityError:
        return HouseholdVisit.objects.get(client_key=client_key), False
    return visit, True
