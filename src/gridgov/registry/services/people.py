"""Residents (实有人口) and care-group memberships."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.pii import normalize_phone
from gridgov.registry.enums import ChangeAction, DataSource, Gender, IdType, Register, Relation, ResidentKind
from gridgov.registry.models import CareCategory, CareMembership, Resident
from gridgov.registry.permissions import check_may_write
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.services.places import address_get, community_get, place_resolve
from gridgov.registry.validators import check_id_number, id_birth_date, id_is_male, normalize_id_number

ID_FIELD = Resident._meta.get_field("id_number")


def clean_phone(value: str) -> str:
    phone = normalize_phone(value)
    if phone and not 7 <= len(phone) <= 15:
        raise InvalidInput(
            "联系电话应为 7 至 15 位数字", "a phone number has 7 to 15 digits", code="bad_phone"
        )
    return phone


def resident_by_id_number(value: str) -> Resident | None:
    return Resident.objects.filter(id_number_index=ID_FIELD.index_for(value)).first()


@transaction.atomic
def resident_save(
    *,
    actor: Any,
    resident_id: int | None = None,
    name: str,
    id_type: IdType = IdType.ID_CARD,
    id_number: str,
    phone: str = "",
    kind: ResidentKind = ResidentKind.REGISTERED,
    household_no: str = "",
    relation: Relation = Relation.OTHER,
    address_id: int | None = None,
    community_code: str = "",
    grid_id: int | None = None,
    gender: Gender | None = None,
    birth_date: dt.date | None = None,
    nationality: str = "",
    note: str = "",
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Resident:
    """Create (resident_id None) or update a resident. With an ID card, gender and birth date
    come from the number; the living address decides the community and grid."""
    name = name.strip()
    if not name:
        raise InvalidInput("姓名不能为空", "the name is required", code="name_required")
    id_type = IdType(id_type)
    if id_type == IdType.ID_CARD:
        id_number = check_id_number(id_number, today=now.date())
        gender = Gender.MALE if id_is_male(id_number) else Gender.FEMALE
        birth_date = id_birth_date(id_number)
    else:
        id_number = normalize_id_number(id_number)
        if not 5 <= len(id_number) <= 32:
            raise InvalidInput(
                "证件号码应为 5 至 32 位",
                "a document number has 5 to 32 characters",
                code="id_number_invalid",
            )
    phone = clean_phone(phone)
    if address_id is not None:
        address = address_get(address_id)
        community, grid = address.community, address.grid
    else:
        address = None
        community, grid = place_resolve(
            community=community_get(community_code) if community_code else None,
            grid_id=grid_id,
            lon=None,
            lat=None,
        )
    check_may_write(actor, community=community, grid=grid)
    twin = resident_by_id_number(id_number)
    if twin is not None and twin.pk != resident_id:
        raise Conflict(
            "该证件号码已登记",
            "a resident with this ID number is already registered",
            code="duplicate_id_number",
        )
    if resident_id is None:
        resident = Resident(created_at=now, source=DataSource(source))
        before = None
    else:
        found = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("community", "grid")
            .filter(pk=resident_id)
            .first()
        )
        if found is None:
            raise NotFound("人员不存在", "no such resident")
        check_may_write(actor, community=found.community, grid=found.grid)
        resident, before = found, snapshot(found)
    resident.name, resident.id_type, resident.id_number, resident.phone = name, id_type, id_number, phone
    resident.kind, resident.household_no = ResidentKind(kind), household_no.strip()
    resident.relation, resident.address = Relation(relation), address
    resident.community, resident.grid = community, grid
    resident.gender, resident.birth_date = Gender(gender or Gender.UNKNOWN), birth_date
    resident.nationality, resident.note, resident.updated_at = nationality.strip(), note.strip(), now
    resident.save()
    history_record(
        register=Register.RESIDENT,
        object_id=resident.pk,
        actor=actor,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        after=snapshot(resident),
        now=now,
    )
    return resident


def resident_get(resident_id: int) -> Resident:
    found = Resident.objects.select_related("community", "grid", "address").filter(pk=resident_id).first()
    if found is None:
        raise NotFound("人员不存在", "no such resident")
    return found


@transaction.atomic
def care_membership_set(
    *,
    actor: Any,
    resident_id: int,
    category_code: str,
    active: bool,
    since: dt.date | None = None,
    note: str = "",
    now: dt.datetime,
) -> CareMembership:
    resident = resident_get(resident_id)
    check_may_write(actor, community=resident.community, grid=resident.grid)
    category = CareCategory.objects.filter(code=category_code, active=True).first()
    if category is None:
        raise InvalidInput("关爱人群类别不存在", "no such care category", code="unknown_category")
    member = (
        CareMembership.objects.select_for_update(of=("self",))
        .filter(category=category, resident=resident)
        .first()
    )
    before = snapshot(member) if member else None
    if member is None:
        member = CareMembership(category=category, resident=resident, created_at=now)
    member.active, member.since, member.note, member.updated_at = (
        active,
        since or now.date(),
        note.strip(),
        now,
    )
    member.save()
    history_record(
        register=Register.CARE,
        object_id=member.pk,
        actor=actor,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        after=snapshot(member),
        now=now,
    )
    return member
