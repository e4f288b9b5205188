"""/api/v1/registry: thin. Shapes are checked here, rules live in the services, reads go
through the scoped selectors; every answer is masked unless it is the audited unmask call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from gridgov.core import clock
from gridgov.core.errors import Forbidden, InvalidInput
from gridgov.registry import selectors, services
from gridgov.registry.enums import (
    FacilityState,
    Gender,
    HazardAction,
    HazardLevel,
    HouseOwnership,
    HouseUse,
    IdType,
    KeyPersonStatus,
    KeyPlaceKind,
    OrganizationKind,
    Register,
    Relation,
    ResidentKind,
    RiskLevel,
)
from gridgov.registry.models import VisitFrequency
from gridgov.registry.permissions import may_edit_frequencies
from gridgov.registry.present import change_out, row_out
from gridgov.registry.registers import PERSONAL, SLUGS

# `File[UploadedFile] | None` is not read as a file by django-ninja: the photo would be dropped.
NO_PHOTO = File(None)

router = Router(tags=["registry"])
MAX_PAGE = 200


class Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(Schema):
    q: str = Field("", max_length=100)
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0)


class AddressIn(Strict):
    community_code: str = Field(..., min_length=12, max_length=12)
    road: str = Field(..., min_length=1, max_length=64)
    number: str = Field("", max_length=32)
    building: str = Field("", max_length=32)
    unit: str = Field("", max_length=16)
    room: str = Field("", max_length=16)
    lon: float | None = None
    lat: float | None = None
    grid_id: int | None = None


class HouseIn(Strict):
    address_id: int
    use: HouseUse = HouseUse.OWN
    ownership: HouseOwnership = HouseOwnership.PRIVATE
    area_m2: float | None = None
    owner_name: str = Field("", max_length=64)
    note: str = Field("", max_length=255)


class ResidentIn(Strict):
    name: str = Field(..., min_length=1, max_length=64)
    id_type: IdType = IdType.ID_CARD
    id_number: str = Field(..., min_length=1, max_length=32)
    phone: str = Field("", max_length=32)
    kind: ResidentKind = ResidentKind.REGISTERED
    household_no: str = Field("", max_length=32)
    relation: Relation = Relation.OTHER
    address_id: int | None = None
    community_code: str = Field("", max_length=12)
    grid_id: int | None = None
    gender: Gender | None = None
    birth_date: dt.date | None = None
    nationality: str = Field("", max_length=32)
    note: str = Field("", max_length=255)


class OrganizationIn(Strict):
    usc_code: str = Field(..., min_length=1, max_length=24)
    name: str = Field(..., min_length=1, max_length=128)
    kind: OrganizationKind = OrganizationKind.ENTERPRISE
    address_id: int | None = None
    community_code: str = Field("", max_length=12)
    grid_id: int | None = None
    legal_person: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)
    employees: int | None = Field(None, ge=0)


class FacilityIn(Strict):
    code: str = Field(..., min_length=1, max_length=32)
    category: str = Field(..., min_length=4, max_length=8)
    name: str = Field("", max_length=64)
    lon: float
    lat: float
    owner_department_id: int | None = None
    state: FacilityState = FacilityState.GOOD
    note: str = Field("", max_length=255)


class PoiIn(Strict):
    name: str = Field(..., min_length=1, max_length=128)
    kind: str = Field("", max_length=32)
    lon: float
    lat: float
    address_id: int | None = None


class KeyPlaceIn(Strict):
    name: str = Field(..., min_length=1, max_length=128)
    kind: KeyPlaceKind = KeyPlaceKind.OTHER
    duties: str = Field("", max_length=2000)
    inspect_every_days: int = Field(30, ge=1, le=366)
    lon: float | None = None
    lat: float | None = None
    address_id: int | None = None
    community_code: str = Field("", max_length=12)
    grid_id: int | None = None
    organization_id: int | None = None
    responsible_id: int | None = None


class InspectIn(Strict):
    at: dt.datetime | None = None


class HazardIn(Strict):
    title: str = Field(..., min_length=1, max_length=128)
    description: str = Field("", max_length=5000)
    level: HazardLevel = HazardLevel.GENERAL
    key_place_id: int | None = None
    organization_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    community_code: str = Field("", max_length=12)
    grid_id: int | None = None


class HazardActIn(Strict):
    note: str = Field(..., max_length=5000)
    deadline: dt.date | None = None


class KeyPersonIn(Strict):
    resident_id: int
    category: str = Field(..., min_length=1, max_length=32)
    risk_level: RiskLevel = RiskLevel.LOW
    reason: str = Field(..., min_length=1, max_length=2000)
    grid_worker_id: int | None = None
    police_id: int | None = None
    since: dt.date | None = None
    note: str = Field("", max_length=2000)


class KeyPersonChangeIn(Strict):
    status: KeyPersonStatus | None = None
    risk_level: RiskLevel | None = None
    reason: str = Field(..., max_length=2000)


class AssignIn(Strict):
    grid_worker_id: int | None = None
    police_id: int | None = None
    note: str | None = Field(None, max_length=2000)


class VisitIn(Schema):
    key_person_id: int
    client_key: str = Field(..., min_length=8, max_length=64)
    visited_at: dt.datetime
    findings: str = Field(..., max_length=5000)
    lon: float | None = None
    lat: float | None = None
    place: str = Field("", max_length=255)
    status_after: KeyPersonStatus | None = None
    risk_after: RiskLevel | None = None
    reason: str = Field("", max_length=2000)


class FrequencyIn(Strict):
    category: str = Field(..., min_length=1, max_length=32)
    risk_level: RiskLevel
    every_days: int = Field(..., ge=1, le=366)


class CareIn(Strict):
    resident_id: int
    category: str = Field(..., min_length=1, max_length=32)
    active: bool = True
    since: dt.date | None = None
    note: str = Field("", max_length=255)


class UnmaskIn(Strict):
    reason: str = Field(..., max_length=500)


def _user(request: HttpRequest) -> Any:
    return request.user


def _page(qs: Any, page: Page) -> dict[str, Any]:
    total = qs.count()
    rows = list(qs[page.offset : page.offset + page.limit])
    return {"count": total, "limit": page.limit, "offset": page.offset, "results": [row_out(r) for r in rows]}


def _created(obj: Any) -> Status[dict[str, Any]]:
    return Status(201, row_out(obj))


# --- the specific routes first: `/{slug}/{id}` below would otherwise read them as ids --------


@router.get("/search", response=dict)
def search(
    request: HttpRequest, page: Query[Page], kind: ResidentKind | None = None, grid: str = ""
) -> dict[str, Any]:
    q = selectors.SearchQuery(text=page.q, kind=kind or "", grid_code=grid)
    out = _page(selectors.residents_search(_user(request), q), page)
    out["read_as"] = selectors.search_kind(page.q) if page.q.strip() else ""
    return out


@router.get("/visits/due", response=dict)
def visits_due(request: HttpRequest, limit: int = Query(100, ge=1, le=MAX_PAGE)) -> dict[str, Any]:
    now = clock.now()
    lists = selectors.my_visits(_user(request), now=now)

    def rows(qs: Any) -> list[dict[str, Any]]:
        return [
            {**row_out(p), "resident_name": p.resident.name, "category_name": p.category.name}
            for p in qs.select_related("resident", "category")[:limit]
        ]

    return {
        "today": selectors.today(now).isoformat(),
        "overdue_count": lists["overdue"].count(),
        "due_soon_count": lists["due_soon"].count(),
        "overdue": rows(lists["overdue"]),
        "due_soon": rows(lists["due_soon"]),
    }


@router.get("/visits/rollup", response=dict)
def visits_rollup(request: HttpRequest) -> dict[str, Any]:
    root, rows = selectors.visits_rollup(_user(request), now=clock.now())
    return {
        "region": root.code if root else None,
        "rows": [
            {"label": r.label, "code": r.region.code if r.region else "", "under_duty": r.under_duty,
             "overdue": r.overdue, "due_soon": r.due_soon}
            for r in rows
        ],
    }  # fmt: skip


@router.post("/visits", response={200: dict, 201: dict})
def visit_create(
    request: HttpRequest, payload: Form[VisitIn], photo: UploadedFile | None = NO_PHOTO
) -> Status[dict[str, Any]]:
    visit, created = services.visit_record(
        actor=_user(request),
        key_person_id=payload.key_person_id,
        client_key=payload.client_key,
        visited_at=payload.visited_at,
        findings=payload.findings,
        lon=payload.lon,
        lat=payload.lat,
        place=payload.place,
        photo=photo,
        status_after=payload.status_after,
        risk_after=payload.risk_after,
        reason=payload.reason,
        now=clock.now(),
    )
    return Status(201 if created else 200, {**row_out(visit), "created": created})


@router.get("/frequencies", response=list[dict])
def frequencies(request: HttpRequest) -> list[dict[str, Any]]:
    rows = VisitFrequency.objects.select_related("category").order_by("category__order", "risk_level")
    return [
        {"category": r.category.code, "category_name": r.category.name, "risk_level": r.risk_level,
         "every_days": r.every_days}
        for r in rows
    ]  # fmt: skip


@router.put("/frequencies", response=dict)
def frequency_set(request: HttpRequest, payload: FrequencyIn) -> dict[str, Any]:
    # The table governs everyone's duty: only leaders and administrators edit it.
    if not may_edit_frequencies(_user(request)):
        raise Forbidden("只有领导或管理员可以修改走访频次", "only leaders and administrators edit the table")
    row = services.visit_frequency_set(
        actor=_user(request),
        category_code=payload.category,
        risk_level=payload.risk_level,
        every_days=payload.every_days,
        now=clock.now(),
    )
    return {"category": payload.category, "risk_level": row.risk_level, "every_days": row.every_days}


@router.post("/care", response=dict)
def care_set(request: HttpRequest, payload: CareIn) -> dict[str, Any]:
    selectors.get_for(Register.RESIDENT, _user(request), payload.resident_id)
    member = services.care_membership_set(
        actor=_user(request),
        resident_id=payload.resident_id,
        category_code=payload.category,
        active=payload.active,
        since=payload.since,
        note=payload.note,
        now=clock.now(),
    )
    return {**row_out(member), "category": member.category.code, "category_name": member.category.name}


@router.post("/addresses", response={201: dict})
def address_create(request: HttpRequest, payload: AddressIn) -> Status[dict[str, Any]]:
    return _created(services.address_resolve(actor=_user(request), **payload.dict(), now=clock.now()))


@router.post("/houses", response={201: dict})
def house_create(request: HttpRequest, payload: HouseIn) -> Status[dict[str, Any]]:
    return _created(services.house_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/houses/{pk}", response=dict)
def house_update(request: HttpRequest, pk: int, payload: HouseIn) -> dict[str, Any]:
    selectors.get_for(Register.HOUSE, _user(request), pk)
    return row_out(services.house_save(actor=_user(request), house_id=pk, **payload.dict(), now=clock.now()))


@router.post("/residents", response={201: dict})
def resident_create(request: HttpRequest, payload: ResidentIn) -> Status[dict[str, Any]]:
    return _created(services.resident_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/residents/{pk}", response=dict)
def resident_update(request: HttpRequest, pk: int, payload: ResidentIn) -> dict[str, Any]:
    selectors.get_for(Register.RESIDENT, _user(request), pk)
    return row_out(
        services.resident_save(actor=_user(request), resident_id=pk, **payload.dict(), now=clock.now())
    )


@router.post("/organizations", response={201: dict})
def organization_create(request: HttpRequest, payload: OrganizationIn) -> Status[dict[str, Any]]:
    return _created(services.organization_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/organizations/{pk}", response=dict)
def organization_update(request: HttpRequest, pk: int, payload: OrganizationIn) -> dict[str, Any]:
    selectors.get_for(Register.ORGANIZATION, _user(request), pk)
    return row_out(
        services.organization_save(
            actor=_user(request), organization_id=pk, **payload.dict(), now=clock.now()
        )
    )


@router.post("/facilities", response={201: dict})
def facility_create(request: HttpRequest, payload: FacilityIn) -> Status[dict[str, Any]]:
    return _created(services.facility_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/facilities/{pk}", response=dict)
def facility_update(request: HttpRequest, pk: int, payload: FacilityIn) -> dict[str, Any]:
    selectors.get_for(Register.FACILITY, _user(request), pk)
    return row_out(
        services.facility_save(actor=_user(request), facility_id=pk, **payload.dict(), now=clock.now())
    )


@router.post("/pois", response={201: dict})
def poi_create(request: HttpRequest, payload: PoiIn) -> Status[dict[str, Any]]:
    return _created(services.poi_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/pois/{pk}", response=dict)
def poi_update(request: HttpRequest, pk: int, payload: PoiIn) -> dict[str, Any]:
    selectors.get_for(Register.POI, _user(request), pk)
    return row_out(services.poi_save(actor=_user(request), poi_id=pk, **payload.dict(), now=clock.now()))


@router.post("/key-places", response={201: dict})
def key_place_create(request: HttpRequest, payload: KeyPlaceIn) -> Status[dict[str, Any]]:
    return _created(services.key_place_save(actor=_user(request), **payload.dict(), now=clock.now()))


@router.put("/key-places/{pk}", response=dict)
def key_place_update(request: HttpRequest, pk: int, payload: KeyPlaceIn) -> dict[str, Any]:
    selectors.get_for(Register.KEY_PLACE, _user(request), pk)
    return row_out(
        services.key_place_save(actor=_user(request), key_place_id=pk, **payload.dict(), now=clock.now())
    )


@router.post("/key-places/{pk}/inspect", response=dict)
def key_place_inspect(request: HttpRequest, pk: int, payload: InspectIn) -> dict[str, Any]:
    selectors.get_for(Register.KEY_PLACE, _user(request), pk)
    now = clock.now()
    return row_out(
        services.key_place_inspect(actor=_user(request), key_place_id=pk, at=payload.at or now, now=now)
    )


@router.post("/hazards", response={201: dict})
def hazard_create(request: HttpRequest, payload: HazardIn) -> Status[dict[str, Any]]:
    return _created(services.hazard_create(actor=_user(request), **payload.dict(), now=clock.now()))


@router.post("/hazards/{pk}/actions/{action}", response=dict)
def hazard_act(request: HttpRequest, pk: int, action: HazardAction, payload: HazardActIn) -> dict[str, Any]:
    selectors.get_for(Register.HAZARD, _user(request), pk)
    hazard = services.hazard_act(
        actor=_user(request),
        hazard_id=pk,
        action=action,
        note=payload.note,
        deadline=payload.deadline,
        now=clock.now(),
    )
    return row_out(hazard)


@router.post("/key-persons", response={201: dict})
def key_person_create(request: HttpRequest, payload: KeyPersonIn) -> Status[dict[str, Any]]:
    selectors.get_for(Register.RESIDENT, _user(request), payload.resident_id)
    data = payload.dict()
    data["category_code"] = data.pop("category")
    return _created(services.key_person_create(actor=_user(request), **data, now=clock.now()))


@router.post("/key-persons/{pk}/change", response=dict)
def key_person_change(request: HttpRequest, pk: int, payload: KeyPersonChangeIn) -> dict[str, Any]:
    selectors.get_for(Register.KEY_PERSON, _user(request), pk)
    return row_out(
        services.key_person_change(actor=_user(request), key_person_id=pk, **payload.dict(), now=clock.now())
    )


@router.post("/key-persons/{pk}/assign", response=dict)
def key_person_assign(request: HttpRequest, pk: int, payload: AssignIn) -> dict[str, Any]:
    selectors.get_for(Register.KEY_PERSON, _user(request), pk)
    return row_out(
        services.key_person_assign(actor=_user(request), key_person_id=pk, **payload.dict(), now=clock.now())
    )


# --- any register: list, detail with its history, unmask ------------------------------------
# One route per register rather than `/{slug}/{pk}`: ninja groups the methods of one path, so
# GET /residents/{pk} must be the same path as PUT /residents/{pk} above.


def _list(register: Register) -> Any:
    def register_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
        user = _user(request)
        if register == Register.RESIDENT:
            qs: Any = selectors.residents_search(user, selectors.SearchQuery(text=page.q))
        elif register == Register.ORGANIZATION:
            qs = selectors.organizations_search(user, page.q)
        else:
            if page.q:
                raise InvalidInput(
                    "该台账不支持文本搜索", "this register has no text search", code="no_search"
                )
            qs = selectors.visible(register, user).order_by("-id")
        return _page(qs, page)

    return register_list


def _detail(register: Register) -> Any:
    def register_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
        obj = selectors.get_for(register, _user(request), pk)
        out = row_out(obj)
        out["history"] = [change_out(c) for c in selectors.history_of(register, pk)[:100]]
        return out

    return register_detail


def _unmask(register: Register) -> Any:
    def register_unmask(request: HttpRequest, pk: int, payload: UnmaskIn) -> dict[str, Any]:
        obj = selectors.get_for(register, _user(request), pk)
        clear = services.personal_data_unmask(
            actor=_user(request), obj=obj, reason=payload.reason, request=request
        )
        return row_out(obj, clear=clear)

    return register_unmask


for _register, _slug in SLUGS.items():
    _name = _slug.replace("-", "_")
    router.add_api_operation(
        f"/{_slug}",
        ["GET"],
        _list(_register),
        response=dict,
        operation_id=f"registry_{_name}_list",
        summary=f"{_register.label}: list",
    )
    router.add_api_operation(
        f"/{_slug}/{{pk}}",
        ["GET"],
        _detail(_register),
        response=dict,
        operation_id=f"registry_{_name}_detail",
        summary=f"{_register.label}: detail with history",
    )
    if _register in PERSONAL:
        router.add_api_operation(
            f"/{_slug}/{{pk}}/unmask",
            ["POST"],
            _unmask(_register),
            response=dict,
            operation_id=f"registry_{_name}_unmask",
            summary=f"{_register.label}: read personal data (audited)",
        )
