"""Reading cases, always through the caller's data scope (accounts/scope.py).

Scope for cases: a centre user reads the cases whose place lies in its region's subtree, a grid
worker those in the grids it serves, a department user the cases its department currently owns
or has a part in (协办). A department that returned a case no longer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.models import Center, Department
from gridgov.accounts.scope import scope_filter, scope_for
from gridgov.cases.enums import CaseStatus, Channel
from gridgov.cases.models import Case, CasePart, Category, Notice
from gridgov.core.codes import under
from gridgov.core.crypto import EncryptedTextField
from gridgov.core.errors import NotFound
from gridgov.sla.enums import Colour

# Polygons (GeoJSON) ride along with every joined region and grid unless left out.
HEAVY = ("grid__boundary", "region__boundary", "owner_center__region__boundary")


def cases_visible(user: Any, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    qs = Case.objects.all() if qs is None else qs
    owned = scope_filter(qs, user, code_field="territory_code", department_field="owner_department")
    parts = scope_filter(
        CasePart.objects.all(), user, code_field="case__territory_code", department_field="department"
    )
    return owned | qs.filter(pk__in=parts.values("case_id"))


def user_units_light(user: Any) -> None:
    """Put the user's centre or department, with its region, into the user's relation cache,
    leaving out the region's boundary: scope and permission checks read `user.center.region`,
    which Django would otherwise load whole, polygon and all (a city outline is megabytes)."""
    if not getattr(user, "pk", None):
        return
    model = type(user)
    for name, related in (("center", Center), ("department", Department)):
        pk = getattr(user, f"{name}_id", None)
        descriptor = getattr(model, name, None)
        if pk and descriptor is not None and not descriptor.is_cached(user):
            unit = related.objects.select_related("region").defer("region__boundary").filter(pk=pk).first()
            if unit is not None:
                setattr(user, name, unit)


def case_visible_to(user: Any, case: Case) -> bool:
    """`cases_visible` for one case already loaded: the same rule, decided on the row itself.

    A centre or grid scope reads the case's territory, and its part branch only ever adds cases
    on that same territory; a department scope reads the owner, and only when the department is
    not the owner asks whether it holds a part (the one query this may cost).
    """
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return True
    if scope.kind == ScopeKind.REGION:
        return scope.prefix is not None and case.territory_code.startswith(scope.prefix)
    if scope.kind == ScopeKind.GRIDS:
        return case.territory_code in scope.grid_codes
    if scope.kind == ScopeKind.DEPARTMENT:
        if scope.department_id is None:
            return False
        return (
            case.owner_department_id == scope.department_id
            or CasePart.objects.filter(case_id=case.pk, department_id=scope.department_id).exists()
        )
    return False


def _not_found(number: str) -> NotFound:
    # The same answer for "no such case" and "not yours": a number must not leak existence.
    return NotFound(f"事件 {number} 不存在或无权查看", f"case {number} not found", code="case_not_found")


def case_get_for(user: Any, number: str) -> Case:
    # By number (the unique index), then the scope decided on that one row: the scope's OR over
    # the parts subquery is cheap on one row and slow as a plan for the whole table.
    case = (
        Case.objects.select_related(
            "category", "owner_center__region", "owner_department", "grid", "region", "parent"
        )
        .defer(*HEAVY)
        .filter(number=number)
        .order_by()
        .first()
    )
    if case is None or not case_visible_to(user, case):
        raise _not_found(number)
    return case


def case_lock_for(user: Any, number: str) -> Case:
    """The case, its row locked for the rest of the transaction, if the user may read it (else
    404): what every act starts with. Loaded once, with only the owning centre and its region
    (without the boundary) joined; anything else an act needs it loads itself."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("owner_center__region")
        .defer("owner_center__region__boundary")
        .filter(number=number)
        .order_by()
        .first()
    )
    if case is None or not case_visible_to(user, case):
        raise _not_found(number)
    return case


def case_detail_for(user: Any, number: str) -> Case:
    case = case_get_for(user, number)
    # Evaluated once here so the answer is built without a query per event.
    case.events_list = list(case.events.select_related("actor").prefetch_related("attachments"))  # type: ignore[attr-defined]
    case.parts_list = list(case.parts.select_related("department"))  # type: ignore[attr-defined]
    case.notices_list = list(case.notices.all())  # type: ignore[attr-defined]
    case.extensions_list = list(case.extensions.all())  # type: ignore[attr-defined]
    return case


@dataclass(frozen=True)
class CaseFilters:
    status: tuple[CaseStatus, ...] = ()
    colour: Colour | None = None
    channel: Channel | None = None
    category: str = ""  # a code: the category and, for a first-level code, its children
    region: str = ""  # a region code: cases placed in its subtree
    owner: str = ""  # a department code, or a centre's region code
    overdue: bool | None = None
    open_notice: bool | None = None
    text: str = ""
    phone: str = ""
    created_from: date | None = None
    created_to: date | None = None


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def case_list_for(user: Any, filters: CaseFilters, *, now: datetime) -> QuerySet[Case]:
    qs = cases_visible(user).select_related("category", "owner_center", "owner_department")
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.colour:
        qs = qs.filter(colour=filters.colour)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.category:
        qs = qs.filter(Q(category__code=filters.category) | Q(category__parent__code=filters.category))
    if filters.region:
        from gridgov.geo.models import Region

        region = Region.objects.filter(code=filters.region).first()
        qs = qs.filter(under("territory_code", region.prefix)) if region else qs.none()
    if filters.owner:
        qs = qs.filter(
            Q(owner_department__code=filters.owner)
            | Q(owner_department__isnull=True, owner_center__region__code=filters.owner)
        )
    if filters.overdue is not None:
        overdue = Q(is_open=True, due_at__lt=now)
        qs = qs.filter(overdue) if filters.overdue else qs.exclude(overdue)
    if filters.open_notice is not None:
        pending = Notice.objects.filter(responded_at__isnull=True).values("case_id")
        qs = qs.filter(pk__in=pending) if filters.open_notice else qs.exclude(pk__in=pending)
    if filters.text:
        t = filters.text
        qs = qs.filter(Q(number__icontains=t) | Q(title__icontains=t) | Q(description__icontains=t))
    if filters.phone:
        field = Case._meta.get_field("reporter_phone")
        assert isinstance(field, EncryptedTextField)
        qs = qs.filter(reporter_phone_index=field.index_for(filters.phone))
    if filters.created_from:
        qs = qs.filter(created_at__gte=_local_midnight(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_local_midnight(filters.created_to) + timedelta(days=1))
    return qs.order_by("-created_at", "-id")


def cases_due(now: datetime) -> QuerySet[Case]:
    """Open cases whose colour is due to change by `now`: what the deadline worker refreshes.

    Two halves: not red yet and past the deadline (due to turn red), or still green and past
    the yellow moment (due to turn yellow). Each half repeats, term for term, the condition of
    its partial index (`case_due_not_red`, `case_yellow_green` in Case.Meta), so the database
    answers with two range scans that touch only due rows (a bitmap OR on PostgreSQL, a
    multi-index OR on SQLite); the cases already red or yellow are not in those indexes at all.
    A suspended case has no `due_at` / `yellow_at` (clocks_recompute clears them), so neither
    range reaches it; the status test is a guard on the few rows found.

    Unordered on purpose (the model's default ordering is cleared): an ORDER BY due_at makes
    PostgreSQL walk the whole (is_open, due_at) index in order instead. The worker orders the
    few rows found itself (tasks.due_numbers)."""
    red = Q(is_open=True) & ~Q(colour=Colour.RED) & Q(due_at__lte=now)
    yellow = Q(is_open=True, colour=Colour.GREEN) & Q(yellow_at__lte=now)
    return Case.objects.filter(red | yellow).exclude(status=CaseStatus.SUSPENDED).order_by()


def notices_open_for(user: Any) -> QuerySet[Notice]:
    """Unanswered sheets addressed to the user's unit, for its list."""
    if getattr(user, "department_id", None):
        qs = Notice.objects.filter(to_department_id=user.department_id)
    elif getattr(user, "center_id", None):
        qs = Notice.objects.filter(to_center_id=user.center_id)
    else:
        return Notice.objects.none()
    return qs.filter(responded_at__isnull=True).order_by("respond_by")


def case_reporters_to_tell(case: Case) -> list[Case]:
    """A merged case's result goes to every reporter: the parent's and its children's."""
    return [case, *case.children.all()]


def categories_tree() -> list[Category]:
    return list(Category.objects.filter(parent__isnull=True, active=True).prefetch_related("children"))
