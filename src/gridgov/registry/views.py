"""The registers' pages: thin. Forms check shapes, the services decide, the selectors read
within the user's scope; personal fields are shown masked unless unmasked through the audited
form (permission + reason)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import grids_visible
from gridgov.core import clock
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.views import xlsx_response
from gridgov.geo.models import Grid
from gridgov.registry import forms, selectors, services
from gridgov.registry.columns import COLUMNS, related_for
from gridgov.registry.enums import (
    FacilityState,
    HazardAction,
    HazardStatus,
    KeyPersonStatus,
    Register,
    ResidentKind,
    RiskLevel,
)
from gridgov.registry.models import KeyPersonCategory, VisitFrequency
from gridgov.registry.permissions import may_edit_frequencies, may_unmask
from gridgov.registry.present import row_out
from gridgov.registry.registers import PERSONAL, SLUGS, register_of
from gridgov.registry.services.things import facility_categories
from gridgov.registry.states import actions_from

T = TypeVar("T")

PER_PAGE = 30
EXPORT_MAX = 10_000

# Filters of each list page: (query parameter, model field, label, choices).
FILTERS: dict[Register, list[tuple[str, str, str, list[tuple[str, str]]]]] = {
    Register.RESIDENT: [("kind", "kind", "人口类型", ResidentKind.choices)],
    Register.HAZARD: [("status", "status", "状态", HazardStatus.choices)],
    Register.FACILITY: [("state", "state", "状态", FacilityState.choices)],
    Register.KEY_PERSON: [
        ("status", "status", "管控状态", KeyPersonStatus.choices),
        ("risk", "risk_level", "风险等级", RiskLevel.choices),
    ],
}
SEARCHABLE = frozenset({Register.RESIDENT, Register.ORGANIZATION})
CREATABLE = frozenset(
    {
        Register.RESIDENT,
        Register.ORGANIZATION,
        Register.FACILITY,
        Register.POI,
        Register.KEY_PLACE,
        Register.HAZARD,
    }
)


def _user(request: HttpRequest) -> Any:
    return request.user


def _forbidden(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return HttpResponseForbidden(
        render(request, "registry/forbidden.html", {"message": exc.message_zh}).content
    )


def _register(slug: str) -> Register:
    try:
        return register_of(slug)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


def _get(register: Register, request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.get_for(register, _user(request), pk)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


def _grids(request: HttpRequest) -> Any:
    return grids_visible(_user(request), Grid.objects.defer("boundary")).order_by("code")[:2000]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    counts = selectors.counts_for(user)
    lists = selectors.my_visits(user, now=clock.now())
    return render(
        request,
        "registry/home.html",
        {
            "registers": [(SLUGS[r], r.label, n) for r, n in counts.items()],
            "overdue": lists["overdue"].count(),
            "due_soon": lists["due_soon"].count(),
        },
    )


def _filtered(register: Register, request: HttpRequest) -> tuple[Any, dict[str, str], list[dict[str, Any]]]:
    user = _user(request)
    values: dict[str, str] = {}
    q = request.GET.get("q", "").strip()[:100]
    if register == Register.RESIDENT:
        qs: Any = selectors.residents_search(user, selectors.SearchQuery(text=q))
    elif register == Register.ORGANIZATION:
        qs = selectors.organizations_search(user, q)
    else:
        qs = selectors.visible(register, user).order_by("-id")
    if q and register in SEARCHABLE:
        values["q"] = q
    grid = request.GET.get("grid", "").strip()
    if grid:
        values["grid"] = grid
        qs = qs.filter(**{"address__grid__code" if register == Register.HOUSE else "grid__code": grid})
    shown = []
    for param, field, label, choices in FILTERS.get(register, []):
        value = request.GET.get(param, "")
        if value in dict(choices):
            values[param] = value
            qs = qs.filter(**{field: value})
        shown.append({"param": param, "label": label, "choices": choices, "value": value})
    if register == Register.KEY_PERSON and request.GET.get("overdue") == "1":
        values["overdue"] = "1"
        qs = selectors.overdue(qs, now=clock.now())
    return (
        qs.select_related(*related_for(register)).defer(*selectors.HEAVY_FOR.get(register, ())),
        values,
        shown,
    )


@login_required
def register_list(request: HttpRequest, slug: str) -> HttpResponse:
    register = _register(slug)
    qs, values, filters = _filtered(register, request)
    columns = COLUMNS[register]
    if request.GET.get("export") == "xlsx":
        rows = ([fn(o) for _, fn in columns] for o in qs[:EXPORT_MAX])
        return xlsx_response(register.label, [h for h, _ in columns], rows, filename=slug)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/list.html",
        {
            "register": register,
            "slug": slug,
            "headings": [h for h, _ in columns],
            "rows": [(o.pk, [fn(o) for _, fn in columns]) for o in page.object_list],
            "page": page,
            "query": urlencode(values),
            "values": values,
            "filters": filters,
            "searchable": register in SEARCHABLE,
            "creatable": register in CREATABLE,
            "export_max": EXPORT_MAX,
        },
    )


def _fields(obj: Any, clear: dict[str, str] | None) -> list[tuple[str, Any]]:
    """(label, shown value) of every field, the row's own first and its timestamps last."""
    out = row_out(obj, clear=clear)
    shown: list[tuple[str, Any]] = []
    stamps: list[tuple[str, Any]] = []
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in ("id_number_index", "phone_index", "key"):
            continue
        raw = getattr(obj, field.name)
        if field.is_relation:
            value: Any = str(raw) if raw is not None else ""
        elif isinstance(raw, dt.datetime):
            value = timezone.localtime(raw).strftime("%Y-%m-%d %H:%M")
        else:
            value = out.get(f"{field.name}_label", out.get(field.name))
        row = (field.verbose_name, "" if value is None else value)
        (stamps if field.name in ("created_at", "updated_at") else shown).append(row)
    return shown + stamps


@login_required
def register_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    register = _register(slug)
    obj = _get(register, request, pk)
    clear = None
    unmask_form = forms.UnmaskForm(request.POST or None) if register in PERSONAL else None
    if request.method == "POST" and unmask_form is not None and unmask_form.is_valid():
        try:
            clear = services.personal_data_unmask(
                actor=_user(request), obj=obj, reason=unmask_form.cleaned_data["reason"], request=request
            )
        except Forbidden as exc:
            return _forbidden(request, exc)
        except DomainError as exc:
            unmask_form.add_error("reason", exc.message_zh)
    context: dict[str, Any] = {
        "register": register,
        "slug": slug,
        "obj": obj,
        "fields": _fields(obj, clear),
        "clear": clear,
        "unmask_form": unmask_form,
        "may_unmask": may_unmask(_user(request)),
        "editable": register in EDITABLE or register == Register.RESIDENT,
        "history": selectors.history_of(register, pk)[:50],
    }
    if register == Register.HAZARD:
        context["hazard_actions"] = [(a.value, a.label) for a in actions_from(HazardStatus(obj.status))]
        context["act_form"] = forms.HazardActForm()
    if register == Register.KEY_PERSON:
        context.update(_key_person_context(obj))
    if register == Register.RESIDENT:
        context["key_persons"] = obj.key_persons.select_related("category")
        context["key_person_form"] = forms.KeyPersonForm()
        context["care"] = obj.care.select_related("category").order_by("category__order")
        context["care_form"] = forms.CareForm()
    return render(request, "registry/detail.html", context)


def _key_person_context(person: Any, visit_form: Any = None, change_form: Any = None) -> dict[str, Any]:
    now = clock.now()
    return {
        "visits": person.visits.select_related("visitor")[:50],
        "changes": person.changes.select_related("actor")[:50],
        "visit_form": visit_form
        or forms.VisitForm(
            initial={
                "client_key": uuid.uuid4().hex,
                "visited_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
            }
        ),
        "change_form": change_form
        or forms.KeyPersonChangeForm(initial={"status": person.status, "risk_level": person.risk_level}),
        "overdue": selectors.overdue(type(person).objects.filter(pk=person.pk), now=now).exists(),
    }


@login_required
def register_new(request: HttpRequest, slug: str) -> HttpResponse:
    register = _register(slug)
    if register not in CREATABLE:
        raise Http404("该台账不能在此页新增")
    form = _form_for(register, request)
    if request.method == "POST" and form.is_valid():
        try:
            obj = _create(register, request, dict(form.cleaned_data))
        except DomainError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(request, f"{register.label}已登记")
            return redirect("registry:detail", slug=slug, pk=obj.pk)
    return render(request, "registry/form.html", {"register": register, "slug": slug, "form": form})


# Registers edited through their creation form; the service's id keyword for each.
EDITABLE: dict[Register, str] = {
    Register.ORGANIZATION: "organization_id",
    Register.FACILITY: "facility_id",
    Register.POI: "poi_id",
    Register.KEY_PLACE: "key_place_id",
}


@login_required
def register_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    register = _register(slug)
    if register == Register.RESIDENT:
        return redirect("registry:resident-edit", pk=pk)
    if register not in EDITABLE:
        raise Http404("该台账不能在此页修改")
    obj = _get(register, request, pk)
    probe = _form_for(register, request)
    initial = {name: getattr(obj, name) for name in probe.fields if hasattr(obj, name) and name != "phone"}
    form = _form_for(register, request, initial=initial)
    if "phone" in form.fields:
        # The stored phone is never sent to the page: left empty, it stays as it is.
        form.fields["phone"].help_text = "留空表示不修改(当前 " + (row_out(obj)["phone"] or "无") + ")"
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if "phone" in data:
            data["phone"] = data["phone"] or obj.phone
        # What the form does not show is kept as it is.
        for kept in ("address_id", "owner_department_id", "organization_id", "responsible_id", "lon", "lat"):
            if hasattr(obj, kept) and kept not in data:
                data[kept] = getattr(obj, kept)
        if (
            register == Register.ORGANIZATION
            and obj.address_id
            and obj.address.grid_id != data.get("grid_id")
        ):
            data["address_id"] = None
        try:
            _create(register, request, {**data, EDITABLE[register]: pk})
        except DomainError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(request, "已保存")
            return redirect("registry:detail", slug=slug, pk=pk)
    return render(
        request, "registry/form.html", {"register": register, "slug": slug, "form": form, "editing": obj}
    )


def _form_for(register: Register, request: HttpRequest, initial: dict[str, Any] | None = None) -> Any:
    data = request.POST if request.method == "POST" else None
    if register == Register.RESIDENT:
        return forms.ResidentForm(data, grids=_grids(request), initial=initial)
    if register == Register.ORGANIZATION:
        return forms.OrganizationForm(data, grids=_grids(request), initial=initial)
    if register == Register.FACILITY:
        return forms.FacilityForm(data, categories=facility_categories(), initial=initial)
    if register == Register.POI:
        return forms.PoiForm(data, initial=initial)
    if register == Register.KEY_PLACE:
        return forms.KeyPlaceForm(data, grids=_grids(request), initial=initial)
    return forms.HazardForm(data, grids=_grids(request), initial=initial)


def _create(register: Register, request: HttpRequest, data: dict[str, Any]) -> Any:
    actor, now = _user(request), clock.now()
    writer: Any = {
        Register.RESIDENT: services.resident_save,
        Register.ORGANIZATION: services.organization_save,
        Register.FACILITY: services.facility_save,
        Register.POI: services.poi_save,
        Register.KEY_PLACE: services.key_place_save,
        Register.HAZARD: services.hazard_create,
    }[register]
    return writer(actor=actor, now=now, **data)


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _get(Register.RESIDENT, request, pk)
    initial = {
        f: getattr(resident, f)
        for f in ("name", "id_type", "kind", "household_no", "relation", "nationality", "note")
    }
    initial["grid_id"] = resident.grid_id
    form = _form_for(Register.RESIDENT, request, initial=initial)
    # The stored number is never sent to the page: left empty, it stays as it is.
    form.fields["id_number"].required = False
    form.fields["id_number"].help_text = "留空表示不修改(当前 " + row_out(resident)["id_number"] + ")"
    form.fields["phone"].help_text = "留空表示不修改(当前 " + (row_out(resident)["phone"] or "无") + ")"
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["id_number"] = data["id_number"] or resident.id_number
        data["phone"] = data["phone"] or resident.phone
        same_grid = resident.address_id is not None and resident.address.grid_id == data["grid_id"]
        try:
            services.resident_save(
                actor=_user(request),
                resident_id=pk,
                # The living address stays while the resident stays in its grid.
                address_id=resident.address_id if same_grid else None,
                now=clock.now(),
                **data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message_zh)
        else:
            messages.success(request, "已保存")
            return redirect("registry:detail", slug="residents", pk=pk)
    return render(
        request,
        "registry/form.html",
        {"register": Register.RESIDENT, "slug": "residents", "form": form, "editing": resident},
    )


def _acted(request: HttpRequest, call: Callable[[], T], success: str) -> T | None:
    """Run one service call of a detail page's action form and say how it went on the next page:
    the success text, or the service's own reason for refusing (the state changed meanwhile, no
    right to it). The result, or None when refused, so the caller picks where to go."""
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return None
    messages.success(request, success)
    return result


@login_required
@require_POST
def key_person_new(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _get(Register.RESIDENT, request, pk)
    form = forms.KeyPersonForm(request.POST)
    if form.is_valid():
        person = _acted(
            request,
            lambda: services.key_person_create(
                actor=_user(request),
                resident_id=resident.pk,
                category_code=form.cleaned_data["category"].code,
                risk_level=form.cleaned_data["risk_level"],
                reason=form.cleaned_data["reason"],
                now=clock.now(),
            ),
            "已列入重点人员台账",
        )
        if person is not None:
            return redirect("registry:detail", slug="key-persons", pk=person.pk)
    else:
        messages.error(request, "请填写类别、风险等级和列管原因")
    return redirect("registry:detail", slug="residents", pk=pk)


@login_required
@require_POST
def care_set(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _get(Register.RESIDENT, request, pk)
    form = forms.CareForm(request.POST)
    if form.is_valid():
        _acted(
            request,
            lambda: services.care_membership_set(
                actor=_user(request),
                resident_id=resident.pk,
                category_code=form.cleaned_data["category"].code,
                active=form.cleaned_data["active"],
                note=form.cleaned_data["note"],
                now=clock.now(),
            ),
            "关爱人群已更新",
        )
    else:
        messages.error(request, "请选择关爱人群类别")
    return redirect("registry:detail", slug="residents", pk=pk)


@login_required
@require_POST
def key_place_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    place = _get(Register.KEY_PLACE, request, pk)
    now = clock.now()
    _acted(
        request,
        lambda: services.key_place_inspect(actor=_user(request), key_place_id=place.pk, at=now, now=now),
        "已记录本次检查;发现隐患请在“安全隐患”中登记",
    )
    return redirect("registry:detail", slug="key-places", pk=pk)


@login_required
@require_POST
def key_person_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get(Register.KEY_PERSON, request, pk)
    form = forms.KeyPersonChangeForm(request.POST)
    if form.is_valid():
        _acted(
            request,
            lambda: services.key_person_change(
                actor=_user(request), key_person_id=person.pk, now=clock.now(), **form.cleaned_data
            ),
            "管控状态已调整",
        )
    else:
        messages.error(request, "请填写调整原因")
    return redirect("registry:detail", slug="key-persons", pk=pk)


@login_required
@require_POST
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get(Register.KEY_PERSON, request, pk)
    form = forms.VisitForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _, created = services.visit_record(
                actor=_user(request),
                key_person_id=person.pk,
                client_key=data["client_key"],
                visited_at=data["visited_at"],
                findings=data["findings"],
                place=data["place"],
                photo=data.get("photo"),
                status_after=data["status_after"] or None,
                risk_after=data["risk_after"] or None,
                now=clock.now(),
            )
        except DomainError as exc:
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, "走访已记录" if created else "该走访已记录过(重复提交未重复登记)")
            return redirect("registry:detail", slug="key-persons", pk=pk)
    context = {
        "register": Register.KEY_PERSON,
        "slug": "key-persons",
        "obj": person,
        "fields": _fields(person, None),
        "history": selectors.history_of(Register.KEY_PERSON, pk)[:50],
        **_key_person_context(person, visit_form=form),
    }
    return render(request, "registry/detail.html", context, status=422)


@login_required
@require_POST
def hazard_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    hazard = _get(Register.HAZARD, request, pk)
    if action not in HazardAction.values:
        raise Http404("未知操作")
    form = forms.HazardActForm(request.POST)
    if form.is_valid():
        _acted(
            request,
            lambda: services.hazard_act(
                actor=_user(request),
                hazard_id=hazard.pk,
                action=HazardAction(action),
                note=form.cleaned_data["note"],
                deadline=form.cleaned_data["deadline"],
                now=clock.now(),
            ),
            f"已{HazardAction(action).label}",
        )
    else:
        messages.error(request, "请填写说明")
    return redirect("registry:detail", slug="hazards", pk=pk)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    user = _user(request)
    residents = selectors.residents_search(user, selectors.SearchQuery(text=q)) if q else None
    page = Paginator(residents, PER_PAGE).get_page(request.GET.get("page")) if residents is not None else None
    organizations = list(selectors.organizations_search(user, q)[:20]) if q else []
    columns = COLUMNS[Register.RESIDENT]
    return render(
        request,
        "registry/search.html",
        {
            "q": q,
            "read_as": selectors.search_kind(q) if q else "",
            "page": page,
            "query": urlencode({"q": q}),
            "headings": [h for h, _ in columns],
            "rows": [(o.pk, [fn(o) for _, fn in columns]) for o in page.object_list] if page else [],
            "organizations": organizations,
        },
    )


@login_required
def visits_due(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    user = _user(request)
    lists = selectors.my_visits(user, now=now)
    root, rollup = selectors.visits_rollup(user, now=now)
    return render(
        request,
        "registry/visits_due.html",
        {
            "overdue": lists["overdue"][:200],
            "overdue_count": lists["overdue"].count(),
            "due_soon": lists["due_soon"][:200],
            "due_soon_count": lists["due_soon"].count(),
            "today": selectors.today(now),
            "root": root,
            "rollup": rollup,
        },
    )


@login_required
def frequencies(request: HttpRequest) -> HttpResponse:
    editable = may_edit_frequencies(_user(request))
    if request.method == "POST":
        if not editable:
            return _forbidden(request, Forbidden("只有领导或管理员可以修改走访频次"))
        try:
            services.visit_frequency_set(
                actor=_user(request),
                category_code=request.POST.get("category", ""),
                risk_level=RiskLevel(request.POST.get("risk_level", "")),
                every_days=int(request.POST.get("every_days", "0") or 0),
                now=clock.now(),
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message_zh", "走访周期应为 1 至 366 天的整数"))
        else:
            messages.success(request, "走访频次已更新,相关人员的下次走访日期已重新计算")
        return redirect("registry:frequencies")
    table = {(f.category_id, f.risk_level): f.every_days for f in VisitFrequency.objects.all()}
    rows = [
        (c, [(r, table.get((c.pk, r.value))) for r in RiskLevel])
        for c in KeyPersonCategory.objects.filter(active=True)
    ]
    return render(
        request, "registry/frequencies.html", {"rows": rows, "levels": list(RiskLevel), "editable": editable}
    )


@login_required
def grid_profile(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    try:
        grid = selectors.grid_for(user, code)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    profile = selectors.grid_profile(user, grid, now=clock.now())
    points = []
    for kind, rows in (
        ("facility", profile["facilities"]),
        ("poi", profile["pois"]),
        ("key_place", profile["key_places"]),
        ("hazard", profile["hazards_open"]),
    ):
        for o in rows[:500]:
            if o.lon is not None and o.lat is not None:
                points.append({"kind": kind, "lon": o.lon, "lat": o.lat, "name": str(o)})
    feature = {
        "type": "Feature",
        "geometry": grid.boundary,
        "properties": {"code": grid.code, "name": grid.name},
    }
    return render(
        request,
        "registry/grid_profile.html",
        {
            "grid": grid,
            "p": profile,
            "kinds": [(k.label, profile["residents_by_kind"].get(k.value, 0)) for k in ResidentKind],
            "map_data": {"grid": feature, "points": points},
        },
    )
