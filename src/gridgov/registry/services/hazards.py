"""安全隐患: found, then moved only through `hazard_act` against states.TRANSITIONS."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.registry.enums import ChangeAction, DataSource, HazardAction, HazardLevel, HazardStatus, Register
from gridgov.registry.models import Hazard, KeyPlace, Organization
from gridgov.registry.permissions import check_may_write
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.services.places import community_get, place_resolve
from gridgov.registry.states import NEEDS_DEADLINE, TRANSITIONS


@transaction.atomic
def hazard_create(
    *,
    actor: Any,
    title: str,
    description: str = "",
    level: HazardLevel = HazardLevel.GENERAL,
    key_place_id: int | None = None,
    organization_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    community_code: str = "",
    grid_id: int | None = None,
    found_at: dt.datetime | None = None,
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Hazard:
    title = title.strip()
    if not title:
        raise InvalidInput("隐患名称不能为空", "the title is required", code="title_required")
    place = (
        KeyPlace.objects.select_related("community", "grid").filter(pk=key_place_id).first()
        if key_place_id
        else None
    )
    if key_place_id and place is None:
        raise InvalidInput("重点场所不存在", "no such key place", code="unknown_key_place")
    org = Organization.objects.filter(pk=organization_id).first() if organization_id else None
    if organization_id and org is None:
        raise InvalidInput("责任单位不存在", "no such organization", code="unknown_organization")
    if place is not None and lon is None and lat is None:
        community, grid = place.community, place.grid
        lon, lat = place.lon, place.lat
    else:
        community, grid = place_resolve(
            community=community_get(community_code) if community_code else None,
            grid_id=grid_id,
            lon=lon,
            lat=lat,
        )
    check_may_write(actor, community=community, grid=grid)
    found_at = found_at or now
    if found_at > now:
        raise InvalidInput(
            "发现时间不能晚于现在", "the time found cannot be in the future", code="future_time"
        )
    hazard = Hazard.objects.create(
        title=title,
        description=description.strip(),
        level=HazardLevel(level),
        status=HazardStatus.FOUND,
        key_place=place,
        organization=org,
        lon=lon,
        lat=lat,
        community=community,
        grid=grid,
        found_at=found_at,
        found_by=actor,
        source=DataSource(source),
        created_at=now,
        updated_at=now,
    )
    history_record(
        register=Register.HAZARD,
        object_id=hazard.pk,
        actor=actor,
        action=ChangeAction.CREATE,
        after=snapshot(hazard),
        now=now,
    )
    return hazard


@transaction.atomic
def hazard_act(
    *,
    actor: Any,
    hazard_id: int,
    action: HazardAction,
    note: str,
    deadline: dt.date | None = None,
    now: dt.datetime,
) -> Hazard:
    action = HazardAction(action)
    hazard = (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("community", "grid")
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        raise NotFound("隐患不存在", "no such hazard")
    check_may_write(actor, community=hazard.community, grid=hazard.grid)
    sources, target = TRANSITIONS[action]
    if hazard.status not in sources:
        raise Conflict(
            f"隐患当前为「{hazard.get_status_display()}」,不能{action.label}",
            f"a hazard that is {hazard.status} cannot take '{action.value}'",
            code="bad_transition",
        )
    note = note.strip()
    if not note:
        raise InvalidInput("请填写说明", "a note is required", code="note_required")
    if action in NEEDS_DEADLINE:
        if deadline is None:
            raise InvalidInput(
                "请填写整改期限", "a rectification deadline is required", code="deadline_required"
            )
        if deadline < timezone.localdate(now):
            raise InvalidInput(
                "整改期限不能早于今天", "the deadline cannot be in the past", code="deadline_past"
            )
    before = snapshot(hazard)
    if action in NEEDS_DEADLINE:
        hazard.order_text, hazard.deadline = note, deadline
        if action == HazardAction.CHECK_FAIL:
            hazard.check_note, hazard.checked_at, hazard.checked_by = note, now, actor
    elif action == HazardAction.RECTIFY:
        hazard.rectify_note, hazard.rectified_at = note, now
    else:
        hazard.check_note, hazard.checked_at, hazard.checked_by = note, now, actor
    hazard.status, hazard.updated_at = target, now
    hazard.save()
    history_record(
        register=Register.HAZARD,
        object_id=hazard.pk,
        actor=actor,
        action=ChangeAction.UPDATE,
        before=before,
        after=snapshot(hazard),
        now=now,
    )
    return hazard
