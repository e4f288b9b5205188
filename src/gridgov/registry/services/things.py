"""Organizations, facilities (部件), POIs and key places: things that stand at a place."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models, transaction

from gridgov.accounts.models import Department, User
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.geo.models import Grid, Region
from gridgov.registry.enums import (
    ChangeAction,
    DataSource,
    FacilityState,
    KeyPlaceKind,
    OrganizationKind,
    Register,
)
from gridgov.registry.models import Address, Facility, KeyPlace, Organization, Poi
from gridgov.registry.permissions import check_may_write
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.services.people import clean_phone
from gridgov.registry.services.places import address_get, community_get, place_resolve
from gridgov.registry.validators import check_usc_code

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def facility_categories() -> dict[str, str]:
    rows = json.loads((DATA / "facility_categories.json").read_text(encoding="utf-8"))["categories"]
    return {code: name for code, name in rows}


def _place(
    *,
    address_id: int | None,
    community_code: str,
    grid_id: int | None,
    lon: float | None,
    lat: float | None,
) -> tuple[Address | None, Region, Grid | None]:
    address = address_get(address_id) if address_id is not None else None
    if lon is None and lat is None and address is not None:
        return address, address.community, address.grid
    community = address.community if address else (community_get(community_code) if community_code else None)
    community, grid = place_resolve(community=community, grid_id=grid_id, lon=lon, lat=lat)
    return address, community, grid


def _load_for_update(model: type[models.Model], pk: int, label_zh: str) -> Any:
    found = model._default_manager.select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"{label_zh}不存在", f"no such {model._meta.model_name}")
    return found


def _record(
    register: Register, obj: models.Model, before: dict[str, Any] | None, actor: Any, now: dt.datetime
) -> None:
    history_record(
        register=register,
        object_id=obj.pk,
        actor=actor,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        after=snapshot(obj),
        now=now,
    )


@transaction.atomic
def organization_save(
    *,
    actor: Any,
    organization_id: int | None = None,
    usc_code: str,
    name: str,
    kind: OrganizationKind,
    address_id: int | None = None,
    community_code: str = "",
    grid_id: int | None = None,
    legal_person: str = "",
    phone: str = "",
    employees: int | None = None,
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Organization:
    usc_code = check_usc_code(usc_code)
    name = name.strip()
    if not name:
        raise InvalidInput("单位名称不能为空", "the name is required", code="name_required")
    phone = clean_phone(phone)
    address, community, grid = _place(
        address_id=address_id, community_code=community_code, grid_id=grid_id, lon=None, lat=None
    )
    check_may_write(actor, community=community, grid=grid)
    twin = Organization.objects.filter(usc_code=usc_code).exclude(pk=organization_id or 0).exists()
    if twin:
        raise Conflict(
            "该统一社会信用代码已登记", "this credit code is already registered", code="duplicate_usc_code"
        )
    if organization_id is None:
        org, before = Organization(created_at=now, source=DataSource(source)), None
    else:
        org = _load_for_update(Organization, organization_id, "单位")
        check_may_write(actor, community=org.community, grid=org.grid)
        before = snapshot(org)
    org.usc_code, org.name, org.kind = usc_code, name, OrganizationKind(kind)
    org.address, org.community, org.grid = address, community, grid
    org.legal_person, org.phone, org.employees, org.updated_at = legal_person.strip(), phone, employees, now
    org.save()
    _record(Register.ORGANIZATION, org, before, actor, now)
    return org


@transaction.atomic
def facility_save(
    *,
    actor: Any,
    facility_id: int | None = None,
    code: str,
    category: str,
    name: str = "",
    lon: float,
    lat: float,
    owner_department_id: int | None = None,
    state: FacilityState = FacilityState.GOOD,
    note: str = "",
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Facility:
    code = code.strip().upper()
    if not code:
        raise InvalidInput("部件编码不能为空", "the facility code is required", code="code_required")
    categories = facility_categories()
    if category not in categories:
        raise InvalidInput(
            f"部件类别 {category} 不存在", f"unknown facility category {category}", code="unknown_category"
        )
    department = None
    if owner_department_id is not None:
        department = Department.objects.filter(pk=owner_department_id).first()
        if department is None:
            raise InvalidInput("权属部门不存在", "no such department", code="unknown_department")
    _, community, grid = _place(address_id=None, community_code="", grid_id=None, lon=lon, lat=lat)
    check_may_write(actor, community=community, grid=grid, department_id=owner_department_id)
    if Facility.objects.filter(code=code).exclude(pk=facility_id or 0).exists():
        raise Conflict("该部件编码已存在", "this facility code is already registered", code="duplicate_code")
    if facility_id is None:
        facility, before = Facility(created_at=now, source=DataSource(source)), None
    else:
        facility = _load_for_update(Facility, facility_id, "部件")
        check_may_write(
            actor,
            community=facility.community,
            grid=facility.grid,
            department_id=facility.owner_department_id,
        )
        before = snapshot(facility)
    facility.code, facility.category = code, category
    facility.name = name.strip() or categories[category]
    facility.lon, facility.lat, facility.community, facility.grid = lon, lat, community, grid
    facility.owner_department, facility.state = department, FacilityState(state)
    facility.note, facility.updated_at = note.strip(), now
    facility.save()
    _record(Register.FACILITY, facility, before, actor, now)
    return facility


@transaction.atomic
def poi_save(
    *,
    actor: Any,
    poi_id: int | None = None,
    name: str,
    kind: str = "",
    lon: float,
    lat: float,
    address_id: int | None = None,
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Poi:
    name = name.strip()
    if not name:
        raise InvalidInput("名称不能为空", "the name is required", code="name_required")
    address, community, grid = _place(
        address_id=address_id, community_code="", grid_id=None, lon=lon, lat=lat
    )
    check_may_write(actor, community=community, grid=grid)
    if poi_id is None:
        poi, before = Poi(created_at=now, source=DataSource(source)), None
    else:
        poi = _load_for_update(Poi, poi_id, "兴趣点")
        check_may_write(actor, community=poi.community, grid=poi.grid)
        before = snapshot(poi)
    poi.name, poi.kind, poi.lon, poi.lat, poi.address = name, kind.strip(), lon, lat, address
    poi.community, poi.grid, poi.updated_at = community, grid, now
    poi.save()
    _record(Register.POI, poi, before, actor, now)
    return poi


@transaction.atomic
def key_place_save(
    *,
    actor: Any,
    key_place_id: int | None = None,
    name: str,
    kind: KeyPlaceKind,
    duties: str = "",
    inspect_every_days: int = 30,
    lon: float | None = None,
    lat: float | None = None,
    address_id: int | None = None,
    community_code: str = "",
    grid_id: int | None = None,
    organization_id: int | None = None,
    responsible_id: int | None = None,
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> KeyPlace:
    name = name.strip()
    if not name:
        raise InvalidInput("场所名称不能为空", "the name is required", code="name_required")
    if not 1 <= inspect_every_days <= 366:
        raise InvalidInput(
            "检查周期应为 1 至 366 天", "the inspection interval is 1 to 366 days", code="bad_interval"
        )
    address, community, grid = _place(
        address_id=address_id, community_code=community_code, grid_id=grid_id, lon=lon, lat=lat
    )
    check_may_write(actor, community=community, grid=grid)
    organization = Organization.objects.filter(pk=organization_id).first() if organization_id else None
    if organization_id and organization is None:
        raise InvalidInput("所属单位不存在", "no such organization", code="unknown_organization")
    responsible = User.objects.filter(pk=responsible_id, is_active=True).first() if responsible_id else None
    if responsible_id and responsible is None:
        raise InvalidInput("责任人不存在", "no such user", code="unknown_user")
    if key_place_id is None:
        place, before = KeyPlace(created_at=now, source=DataSource(source)), None
    else:
        place = _load_for_update(KeyPlace, key_place_id, "重点场所")
        check_may_write(actor, community=place.community, grid=place.grid)
        before = snapshot(place)
    place.name, place.kind, place.duties = name, KeyPlaceKind(kind), duties.strip()
    place.inspect_every_days, place.lon, place.lat, place.address = inspect_every_days, lon, lat, address
    place.community, place.grid, place.organization, place.responsible = (
        community,
        grid,
        organization,
        responsible,
    )
    place.updated_at = now
    place.save()
    _record(Register.KEY_PLACE, place, before, actor, now)
    return place


@transaction.atomic
def key_place_inspect(*, actor: Any, key_place_id: int, at: dt.datetime, now: dt.datetime) -> KeyPlace:
    """Marks the place inspected (a hazard found on the way is a separate `hazard_create`)."""
    place = _load_for_update(KeyPlace, key_place_id, "重点场所")
    check_may_write(actor, community=place.community, grid=place.grid)
    if at > now:
        raise InvalidInput(
            "检查时间不能晚于现在", "the inspection cannot be in the future", code="future_time"
        )
    before = snapshot(place)
    place.last_inspected_at = max(at, place.last_inspected_at) if place.last_inspected_at else at
    place.updated_at = now
    place.save(update_fields=["last_inspected_at", "updated_at"])
    _record(Register.KEY_PLACE, place, before, actor, now)
    return place
