"""Reading the registers, always through the caller's data scope (accounts/scope.py).

A register row lies in a community and, when resolved, a grid: a centre user reads the rows of
its region's subtree (the community's code starts with the region's prefix), a grid worker or
police officer the rows of the grids it serves, a department user only the facilities its
department owns. Nobody else reads anything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import grids_visible, regions_visible, scope_for
from gridgov.core.errors import NotFound
from gridgov.core.pii import normalize_phone
from gridgov.geo.models import Grid, Region
from gridgov.registry.due import DUE_SOON_DAYS
from gridgov.registry.enums import VISITED_STATUSES, HazardStatus, Register
from gridgov.registry.models import (
    Address,
    ChangeRecord,
    Facility,
    Hazard,
    House,
    KeyPerson,
    KeyPlace,
    Organization,
    Poi,
    Resident,
    Visit,
)
from gridgov.registry.states import OPEN as HAZARD_OPEN
from gridgov.registry.validators import normalize_id_number

M = TypeVar("M", bound=Model)

# Polygons (GeoJSON) ride along with every joined region and grid unless left out.
HEAVY = ("community__boundary", "grid__boundary")
_ID_LIKE = re.compile(r"^\d{17}[\dX]$")

MODELS: dict[Register, type[Model]] = {
    Register.ADDRESS: Address,
    Register.HOUSE: House,
    Register.RESIDENT: Resident,
    Register.ORGANIZATION: Organization,
    Register.FACILITY: Facility,
    Register.POI: Poi,
    Register.KEY_PLACE: KeyPlace,
    Register.HAZARD: Hazard,
    Register.KEY_PERSON: KeyPerson,
    Register.VISIT: Visit,
}


def scoped(qs: QuerySet[M], user: Any, *, via: str = "", department_field: str | None = None) -> QuerySet[M]:
    """Rows of qs the user may read. `via` is the path to the row that carries community and
    grid (e.g. "address__" for houses)."""
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return qs.filter(**{f"{via}community__code__startswith": scope.prefix})
    if scope.kind == ScopeKind.GRIDS and scope.grid_ids:
        return qs.filter(**{f"{via}grid_id__in": scope.grid_ids})
    if scope.kind == ScopeKind.DEPARTMENT and department_field and scope.department_id:
        return qs.filter(**{department_field: scope.department_id})
    return qs.none()


def visible(register: Register, user: Any) -> QuerySet[Any]:
    model = MODELS[register]
    if register == Register.HOUSE:
        return scoped(House.objects.all(), user, via="address__")
    if register == Register.FACILITY:
        return scoped(Facility.objects.all(), user, department_field="owner_department_id")
    return scoped(model._default_manager.all(), user)


def get_for(register: Register, user: Any, pk: int) -> Any:
    found = visible(register, user).filter(pk=pk).first()
    if found is None:
        # Not "forbidden": whether a row exists outside one's area is itself not to be told.
        raise NotFound("记录不存在或不在您的管辖范围内", "no such record in your area")
    return found


def counts_for(user: Any) -> dict[Register, int]:
    return {r: visible(r, user).count() for r in MODELS if r != Register.VISIT}


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    kind: str = ""
    grid_code: str = ""


def search_kind(text: str) -> str:
    """How a search text is read: an ID number (exact), a phone (exact), or a name/address."""
    normal = normalize_id_number(text)
    if _ID_LIKE.match(normal):
        return "id_number"
    digits = normalize_phone(text)
    if digits and len(digits) >= 7 and re.fullmatch(r"[\d\s\-+()]+", text.strip()):
        return "phone"
    return "text"


def residents_search(user: Any, q: SearchQuery) -> QuerySet[Resident]:
    qs = scoped(Resident.objects.all(), user).select_related("grid", "address").defer(*HEAVY)
    text = q.text.strip()
    if text:
        how = search_kind(text)
        if how == "id_number":
            field = Resident._meta.get_field("id_number")
            qs = qs.filter(id_number_index=field.index_for(text))
        elif how == "phone":
            field = Resident._meta.get_field("phone")
            qs = qs.filter(phone_index=field.index_for(text))
        else:
            qs = qs.filter(Q(name__icontains=text) | Q(address__text__icontains=text))
    if q.kind:
        qs = qs.filter(kind=q.kind)
    if q.grid_code:
        qs = qs.filter(grid__code=q.grid_code)
    return qs.order_by("name", "id")


def organizations_search(user: Any, text: str) -> QuerySet[Organization]:
    qs = scoped(Organization.objects.all(), user).select_related("grid", "address").defer(*HEAVY)
    text = text.strip()
    if not text:
        return qs
    if search_kind(text) == "phone":
        field = Organization._meta.get_field("phone")
        return qs.filter(phone_index=field.index_for(text))
    return qs.filter(Q(name__icontains=text) | Q(usc_code=text.upper()) | Q(address__text__icontains=text))


# --- key persons: due and overdue ------------------------------------------------------------


def today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def key_persons_visible(user: Any) -> QuerySet[KeyPerson]:
    return scoped(KeyPerson.objects.all(), user).select_related("resident", "category", "grid", "grid_worker")


def under_duty(qs: QuerySet[KeyPerson]) -> QuerySet[KeyPerson]:
    return qs.filter(status__in=VISITED_STATUSES, next_visit_due__isnull=False)


def overdue(qs: QuerySet[KeyPerson], *, now: dt.datetime) -> QuerySet[KeyPerson]:
    return under_duty(qs).filter(next_visit_due__lt=today(now))


def due_soon(qs: QuerySet[KeyPerson], *, now: dt.datetime) -> QuerySet[KeyPerson]:
    day = today(now)
    return under_duty(qs).filter(
        next_visit_due__gte=day, next_visit_due__lte=day + dt.timedelta(days=DUE_SOON_DAYS)
    )


def my_visits(user: Any, *, now: dt.datetime) -> dict[str, QuerySet[KeyPerson]]:
    """A grid worker's own ledger: the persons it answers for (or, for anyone else, all it may read)."""
    qs = key_persons_visible(user).defer(*HEAVY)
    mine = qs.filter(Q(grid_worker=user) | Q(police=user))
    if mine.exists():
        qs = mine
    return {
        "overdue": overdue(qs, now=now).order_by("next_visit_due", "id"),
        "due_soon": due_soon(qs, now=now).order_by("next_visit_due", "id"),
    }


@dataclass(frozen=True)
class RollupRow:
    region: Region | None
    label: str
    under_duty: int
    overdue: int
    due_soon: int


def visits_rollup(user: Any, *, now: dt.datetime) -> tuple[Region | None, list[RollupRow]]:
    """For a centre: counts of key persons under visit duty, overdue and due soon, by child
    region of the centre's region (grids, under a community)."""
    scope = scope_for(user)
    root: Region | None = None
    if scope.region_id is not None:
        root = Region.objects.defer("boundary").get(pk=scope.region_id)
    elif scope.kind == ScopeKind.EVERYTHING:
        root = Region.objects.defer("boundary").filter(parent__isnull=True).order_by("code").first()
    qs = under_duty(scoped(KeyPerson.objects.all(), user))
    day = today(now)
    counted: dict[str, Counter[str]] = {}
    key = "grid__code" if root is not None and root.level == "community" else "community__code"
    for code, due, n in (
        qs.values_list(key, "next_visit_due").annotate(n=Count("id")).values_list(key, "next_visit_due", "n")
    ):
        c = counted.setdefault(code or "", Counter())
        c["all"] += n
        if due < day:
            c["overdue"] += n
        elif due <= day + dt.timedelta(days=DUE_SOON_DAYS):
            c["soon"] += n
    rows: list[RollupRow] = []
    if root is None:
        return None, rows
    children: list[Any]
    if root.level == "community":
        children = list(Grid.objects.filter(community=root).defer("boundary").order_by("code"))
    else:
        children = list(
            regions_visible(user, Region.objects.filter(parent=root)).defer("boundary").order_by("code")
        )
    for child in children:
        prefix = getattr(child, "prefix", child.code)
        total: Counter[str] = Counter()
        for code, c in counted.items():
            if code.startswith(prefix):
                total.update(c)
        rows.append(
            RollupRow(
                region=child if isinstance(child, Region) else None,
                label=child.name,
                under_duty=total["all"],
                overdue=total["overdue"],
                due_soon=total["soon"],
            )
        )
    return root, rows


# --- the grid profile (人地事物组织情) --------------------------------------------------------


def grid_for(user: Any, code: str) -> Grid:
    grid = grids_visible(user, Grid.objects.select_related("community")).filter(code=code).first()
    if grid is None:
        raise NotFound("网格不存在或不在您的管辖范围内", "no such grid in your area")
    return grid


def grid_profile(user: Any, grid: Grid, *, now: dt.datetime) -> dict[str, Any]:
    from gridgov.cases.selectors import cases_visible
    from gridgov.cases.states import OPEN as CASE_OPEN

    residents = scoped(Resident.objects.filter(grid=grid), user)
    by_kind = dict(residents.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    key_persons = key_persons_visible(user).filter(grid=grid).defer(*HEAVY)
    hazards = scoped(Hazard.objects.filter(grid=grid), user)
    cases = cases_visible(user).filter(grid=grid, status__in=CASE_OPEN)
    return {
        "residents_total": residents.count(),
        "residents_by_kind": by_kind,
        "residents": residents.defer(*HEAVY).select_related("address").order_by("name")[:20],
        "houses": scoped(House.objects.filter(address__grid=grid), user, via="address__").count(),
        "organizations": scoped(Organization.objects.filter(grid=grid), user).defer(*HEAVY).order_by("name"),
        "facilities": scoped(Facility.objects.filter(grid=grid), user, department_field="owner_department_id")
        .defer(*HEAVY)
        .order_by("code"),
        "pois": scoped(Poi.objects.filter(grid=grid), user).defer(*HEAVY),
        "key_places": scoped(KeyPlace.objects.filter(grid=grid), user).defer(*HEAVY),
        "key_persons": key_persons,
        "key_persons_overdue": overdue(key_persons, now=now).count(),
        "hazards_open": hazards.filter(status__in=HAZARD_OPEN).defer(*HEAVY).order_by("deadline"),
        "hazards_total": hazards.count(),
        "cases_open": cases.order_by("-created_at")[:20],
        "cases_open_total": cases.count(),
    }


# --- history -------------------------------------------------------------------------------


def history_of(register: Register, object_id: Any) -> QuerySet[ChangeRecord]:
    return ChangeRecord.objects.filter(register=register, object_id=str(object_id)).select_related("actor")


def hazards_overdue(user: Any, *, now: dt.datetime) -> QuerySet[Hazard]:
    return scoped(Hazard.objects.filter(status=HazardStatus.ORDERED, deadline__lt=today(now)), user)


# Joined rows whose polygons a list must not load.
HEAVY_FOR: dict[Register, tuple[str, ...]] = {
    Register.ADDRESS: ("grid__boundary",),
    Register.RESIDENT: ("grid__boundary",),
    Register.ORGANIZATION: ("grid__boundary",),
    Register.FACILITY: ("grid__boundary",),
    Register.POI: ("grid__boundary",),
    Register.KEY_PLACE: ("grid__boundary",),
    Register.HAZARD: ("grid__boundary",),
    Register.KEY_PERSON: ("grid__boundary",),
}
