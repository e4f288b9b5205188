"""The key-person ledger: who is under management, dynamic changes of status and risk, the
visit-frequency table, and visits (`visit_record`, which the field app calls)."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.enums import Role
from gridgov.accounts.models import User
from gridgov.cases.services.attachments import JPEG, PNG, WEBP, sniff
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.files import Store, kept_with
from gridgov.geo.locate import check_point
from gridgov.registry.due import next_due
from gridgov.registry.enums import ChangeAction, KeyPersonStatus, Register, RiskLevel
from gridgov.registry.models import KeyPerson, KeyPersonCategory, KeyPersonChange, Visit, VisitFrequency
from gridgov.registry.permissions import check_may_write
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.services.people import resident_get

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp"}
CLIENT_KEY_MAX = 64


def frequency_days(category_id: int, risk_level: str) -> int | None:
    return (
        VisitFrequency.objects.filter(category_id=category_id, risk_level=risk_level)
        .values_list("every_days", flat=True)
        .first()
    )


def _refresh_due(person: KeyPerson) -> None:
    person.next_visit_due = next_due(
        since=person.since,
        last_visit_at=person.last_visit_at,
        every_days=frequency_days(person.category_id, person.risk_level),
        status=person.status,
    )


def _user(user_id: int | None, roles: frozenset[Role], label_zh: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True, role__in=roles).first()
    if user is None:
        raise InvalidInput(
            f"{label_zh}不存在或角色不符", f"no active user {user_id} with that role", code="bad_user"
        )
    return user


def _category(code: str) -> KeyPersonCategory:
    category = KeyPersonCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise InvalidInput("重点人员类别不存在", "no such key-person category", code="unknown_category")
    return category


def _load(key_person_id: int) -> KeyPerson:
    person = (
        KeyPerson.objects.select_for_update(of=("self",))
        .select_related("community", "grid", "category")
        .filter(pk=key_person_id)
        .first()
    )
    if person is None:
        raise NotFound("重点人员不存在", "no such key person")
    return person


@transaction.atomic
def key_person_create(
    *,
    actor: Any,
    resident_id: int,
    category_code: str,
    risk_level: RiskLevel,
    reason: str,
    grid_worker_id: int | None = None,
    police_id: int | None = None,
    since: dt.date | None = None,
    note: str = "",
    now: dt.datetime,
) -> KeyPerson:
    resident = resident_get(resident_id)
    check_may_write(actor, community=resident.community, grid=resident.grid)
    category = _category(category_code)
    if KeyPerson.objects.filter(resident=resident, category=category).exists():
        raise Conflict(
            "该人员已列入此类重点人员", "this resident is already listed in that category", code="duplicate"
        )
    if not reason.strip():
        raise InvalidInput("请填写列管原因", "a reason is required", code="reason_required")
    since = since or timezone.localdate(now)
    if since > timezone.localdate(now):
        raise InvalidInput(
            "纳入管理日期不能晚于今天", "the start date cannot be in the future", code="future_date"
        )
    person = KeyPerson(
        resident=resident,
        category=category,
        risk_level=RiskLevel(risk_level),
        status=KeyPersonStatus.IN_CONTROL,
        grid_worker=_user(grid_worker_id, frozenset({Role.GRID_WORKER, Role.GRID_HEAD}), "责任网格员"),
        police=_user(police_id, frozenset({Role.POLICE}), "责任民警"),
        since=since,
        note=note.strip(),
        community=resident.community,
        grid=resident.grid,
        source=resident.source,
        created_at=now,
        updated_at=now,
    )
    _refresh_due(person)
    person.save()
    KeyPersonChange.objects.create(
        key_person=person,
        at=now,
        actor=_actor(actor),
        status_from="",
        status_to=person.status,
        risk_from="",
        risk_to=person.risk_level,
        reason=reason.strip(),
    )
    history_record(
        register=Register.KEY_PERSON,
        object_id=person.pk,
        actor=actor,
        action=ChangeAction.CREATE,
        after=snapshot(person),
        now=now,
    )
    return person


def _actor(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def key_person_assign(
    *,
    actor: Any,
    key_person_id: int,
    grid_worker_id: int | None,
    police_id: int | None,
    note: str | None = None,
    now: dt.datetime,
) -> KeyPerson:
    person = _load(key_person_id)
    check_may_write(actor, community=person.community, grid=person.grid)
    before = snapshot(person)
    person.grid_worker = _user(grid_worker_id, frozenset({Role.GRID_WORKER, Role.GRID_HEAD}), "责任网格员")
    person.police = _user(police_id, frozenset({Role.POLICE}), "责任民警")
    if note is not None:
        person.note = note.strip()
    person.updated_at = now
    person.save()
    history_record(
        register=Register.KEY_PERSON,
        object_id=person.pk,
        actor=actor,
        action=ChangeAction.UPDATE,
        before=before,
        after=snapshot(person),
        now=now,
    )
    return person


def _change(
    person: KeyPerson,
    *,
    actor: Any,
    status: KeyPersonStatus | None,
    risk_level: RiskLevel | None,
    reason: str,
    now: dt.datetime,
    visit: Visit | None = None,
) -> KeyPersonChange | None:
    new_status = KeyPersonStatus(status) if status else KeyPersonStatus(person.status)
    new_risk = RiskLevel(risk_level) if risk_level else RiskLevel(person.risk_level)
    if new_status == person.status and new_risk == person.risk_level:
        return None
    if not reason.strip():
        raise InvalidInput(
            "调整管控状态或风险等级须说明原因",
            "a change of status or risk needs a reason",
            code="reason_required",
        )
    change = KeyPersonChange.objects.create(
        key_person=person,
        at=now,
        actor=_actor(actor),
        status_from=person.status,
        status_to=new_status,
        risk_from=person.risk_level,
        risk_to=new_risk,
        reason=reason.strip(),
        visit=visit,
    )
    person.status, person.risk_level = new_status, new_risk
    return change


@transaction.atomic
def key_person_change(
    *,
    actor: Any,
    key_person_id: int,
    status: KeyPersonStatus | None = None,
    risk_level: RiskLevel | None = None,
    reason: str,
    now: dt.datetime,
) -> KeyPerson:
    """Dynamic management: a change of status and/or risk level, kept with who, when and why."""
    person = _load(key_person_id)
    check_may_write(actor, community=person.community, grid=person.grid)
    before = snapshot(person)
    if _change(person, actor=actor, status=status, risk_level=risk_level, reason=reason, now=now) is None:
        raise InvalidInput(
            "状态和风险等级均未改变", "neither the status nor the risk level changes", code="no_change"
        )
    _refresh_due(person)
    person.updated_at = now
    person.save()
    history_record(
        register=Register.KEY_PERSON,
        object_id=person.pk,
        actor=actor,
        action=ChangeAction.UPDATE,
        before=before,
        after=snapshot(person),
        now=now,
    )
    return person


@transaction.atomic
def visit_frequency_set(
    *, actor: Any, category_code: str, risk_level: RiskLevel, every_days: int, now: dt.datetime
) -> VisitFrequency:
    """Edits one cell of the table and moves the due date of every person it governs."""
    if not 1 <= every_days <= 366:
        raise InvalidInput("走访周期应为 1 至 366 天", "the interval is 1 to 366 days", code="bad_interval")
    category = _category(category_code)
    row = (
        VisitFrequency.objects.select_for_update(of=("self",))
        .filter(category=category, risk_level=risk_level)
        .first()
    )
    before = snapshot(row) if row else None
    if row is None:
        row = VisitFrequency(category=category, risk_level=RiskLevel(risk_level))
    row.every_days = every_days
    row.save()
    history_record(
        register=Register.VISIT_FREQUENCY,
        object_id=row.pk,
        actor=actor,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        after=snapshot(row),
        now=now,
    )
    governed = KeyPerson.objects.filter(category=category, risk_level=risk_level)
    for person in governed.only(
        "id", "since", "last_visit_at", "status", "category_id", "risk_level"
    ).iterator():
        due = next_due(
            since=person.since,
            last_visit_at=person.last_visit_at,
            every_days=every_days,
            status=person.status,
        )
        if due != person.next_visit_due:
            KeyPerson.objects.filter(pk=person.pk).update(next_visit_due=due)
    return row


def photo_checked(photo: Any, client_key: str) -> ContentFile[bytes] | None:
    if photo is None:
        return None
    data = photo.read()
    if not data:
        raise InvalidInput("照片为空", "the photo is empty", code="bad_photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("照片超过 10 MB", "the photo is larger than 10 MB", code="bad_photo")
    kind = sniff(data[:16], data)
    if kind not in PHOTO_TYPES:
        raise InvalidInput(
            "照片须为 jpg/png/webp 图片", "the photo must be a jpg, png or webp image", code="bad_photo"
        )
    stem = PurePath(getattr(photo, "name", "") or "photo").stem[:40] or "photo"
    return ContentFile(data, name=f"{client_key[:16]}-{stem}{PHOTO_TYPES[kind]}")


def visit_record(
    *,
    actor: Any,
    key_person_id: int,
    client_key: str,
    visited_at: dt.datetime,
    findings: str,
    lon: float | None = None,
    lat: float | None = None,
    place: str = "",
    photo: Any = None,
    status_after: KeyPersonStatus | None = None,
    risk_after: RiskLevel | None = None,
    reason: str = "",
    now: dt.datetime,
) -> tuple[Visit, bool]:
    """Records a visit; returns (visit, created). The same client_key sent again (an offline
    phone retrying) returns the visit already recorded and changes nothing."""
    client_key = (client_key or "").strip()
    if not 8 <= len(client_key) <= CLIENT_KEY_MAX:
        raise InvalidInput(
            "client_key 应为 8 至 64 个字符(客户端生成的唯一编号)",
            "client_key must be 8 to 64 characters, unique per visit, made by the client",
            code="bad_client_key",
        )
    existing = _existing(client_key, key_person_id)
    if existing is not None:
        return existing, False
    try:
        with kept_with() as store, transaction.atomic():
            return _visit_create(
                store=store,
                actor=actor,
                key_person_id=key_person_id,
                client_key=client_key,
                visited_at=visited_at,
                findings=findings,
                lon=lon,
                lat=lat,
                place=place,
                photo=photo,
                status_after=status_after,
                risk_after=risk_after,
                reason=reason,
                now=now,
            ), True
    except IntegrityError:
        # Two copies raced past the first look: the other one committed, so this one is it.
        existing = _existing(client_key, key_person_id)
        if existing is None:
            raise
        return existing, False


def _existing(client_key: str, key_person_id: int) -> Visit | None:
    visit = Visit.objects.filter(client_key=client_key).first()
    if visit is not None and visit.key_person_id != key_person_id:
        raise Conflict(
            "该 client_key 已用于另一名重点人员的走访",
            "this client_key was used for a visit to another person",
            code="client_key_reused",
        )
    return visit


def _visit_create(
    *,
    store: Store,
    actor: Any,
    key_person_id: int,
    client_key: str,
    visited_at: dt.datetime,
    findings: str,
    lon: float | None,
    lat: float | None,
    place: str,
    photo: Any,
    status_after: KeyPersonStatus | None,
    risk_after: RiskLevel | None,
    reason: str,
    now: dt.datetime,
) -> Visit:
    person = _load(key_person_id)
    check_may_write(actor, community=person.community, grid=person.grid)
    findings = findings.strip()
    if not findings:
        raise InvalidInput("请填写走访情况", "describe what was found", code="findings_required")
    if visited_at > now + dt.timedelta(minutes=5):
        raise InvalidInput("走访时间不能晚于现在", "the visit cannot be in the future", code="future_time")
    if visited_at.date() < person.since - dt.timedelta(days=1):
        raise InvalidInput(
            "走访时间早于纳入管理日期",
            "the visit is before the person came under management",
            code="bad_time",
        )
    if (lon is None) != (lat is None):
        raise InvalidInput("经度和纬度须同时填写", "give both longitude and latitude, or neither")
    if lon is not None:
        check_point(lon, lat)
    before = snapshot(person)
    visit = Visit(
        key_person=person,
        client_key=client_key,
        visited_at=visited_at,
        visitor=_actor(actor),
        lon=lon,
        lat=lat,
        place=place.strip()[:255],
        findings=findings,
        status_after=status_after or "",
        risk_after=risk_after or "",
        grid=person.grid,
        community=person.community,
        created_at=now,
    )
    file = photo_checked(photo, client_key)
    if file is not None:
        store(visit.photo, file)
    visit.save()
    _change(
        person,
        actor=actor,
        status=status_after,
        risk_level=risk_after,
        reason=reason or findings,
        now=now,
        visit=visit,
    )
    if person.last_visit_at is None or visited_at > person.last_visit_at:
        person.last_visit_at = visited_at
    _refresh_due(person)
    person.updated_at = now
    person.save()
    history_record(
        register=Register.VISIT,
        object_id=visit.pk,
        actor=actor,
        action=ChangeAction.CREATE,
        after=snapshot(visit),
        now=now,
    )
    history_record(
        register=Register.KEY_PERSON,
        object_id=person.pk,
        actor=actor,
        action=ChangeAction.UPDATE,
        before=before,
        after=snapshot(person),
        now=now,
    )
    return visit
