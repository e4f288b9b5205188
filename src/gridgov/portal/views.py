"""The citizen portal's pages (/portal/): phone-sized, anonymous, Chinese first. Thin: the
forms post here, the services decide, a refusal re-renders the form with its message and the
right 4xx status. Map and GPS are progressive: without JavaScript the form still works."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases.enums import Rating
from gridgov.core import clock
from gridgov.core.audit import client_ip
from gridgov.core.errors import DomainError
from gridgov.geo.enums import Crs
from gridgov.geo.selectors import map_features
from gridgov.portal import selectors
from gridgov.portal.antibot import HONEYPOT, form_check, form_token
from gridgov.portal.conf import conf
from gridgov.portal.enums import ReportKind
from gridgov.portal.present import tracked_out
from gridgov.portal.services import (
    CitizenReport,
    citizen_lookup,
    portal_rate,
    portal_reader,
    portal_report_submit,
)
from gridgov.portal.services.actors import receiving_center


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def _report_form(request: HttpRequest, kind: ReportKind, *, error: DomainError | None = None) -> HttpResponse:
    data = request.POST if request.method == "POST" else {}
    context: dict[str, Any] = {
        "kind": kind,
        "categories": selectors.categories_for_citizens(),
        "form_token": form_token(now=clock.now()),
        # A new key per form shown: a double tap or a resend of this form is the same report.
        "submission_key": data.get("submission_key") or uuid.uuid4().hex,
        "honeypot": HONEYPOT,
        "data": data,
        "error": error,
        "conf": conf(),
        "crs_choices": Crs.choices,
    }
    return render(request, "portal/report.html", context, status=error.status if error else 200)


def _report(request: HttpRequest, kind: ReportKind) -> HttpResponse:
    if request.method != "POST":
        return _report_form(request, kind)
    p, now = request.POST, clock.now()
    try:
        form_check(token=p.get("form_token", ""), honeypot=p.get(HONEYPOT, ""), now=now)
        crs = p.get("coord_system") or Crs.WGS84
        case, _ = portal_report_submit(
            report=CitizenReport(
                kind=kind,
                category_code=p.get("category", ""),
                text=p.get("text", ""),
                phone=p.get("phone", ""),
                name=p.get("name", ""),
                lon=_float(p.get("lon", "")),
                lat=_float(p.get("lat", "")),
                coord_system=Crs(crs) if crs in Crs.values else Crs.WGS84,
                address=p.get("address", ""),
            ),
            photos=request.FILES.getlist("photos"),
            key=p.get("submission_key", ""),
            ip=_ip(request),
            now=now,
        )
    except DomainError as exc:
        return _report_form(request, kind, error=exc)
    return render(request, "portal/done.html", {"case": case, "kind": kind})


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    return _report(request, ReportKind.ISSUE)


@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    return _report(request, ReportKind.SUGGESTION)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"number": request.GET.get("number", ""), "ratings": Rating.choices}
    if request.method == "POST":
        number, phone = request.POST.get("number", ""), request.POST.get("phone", "")
        context.update(number=number, phone=phone)
        try:
            context["case"] = tracked_out(
                citizen_lookup(number=number, phone=phone, ip=_ip(request), now=clock.now())
            )
        except DomainError as exc:
            context["error"] = exc
            return render(request, "portal/track.html", context, status=exc.status)
    return render(request, "portal/track.html", context)


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    p, now = request.POST, clock.now()
    number, phone = p.get("number", ""), p.get("phone", "")
    context: dict[str, Any] = {"number": number, "phone": phone, "ratings": Rating.choices}
    try:
        rating = p.get("rating", "")
        if rating not in Rating.values:
            from gridgov.core.errors import InvalidInput

            raise InvalidInput("请选择评价:满意、基本满意或不满意", "choose a rating", code="rating_required")
        portal_rate(number=number, phone=phone, rating=Rating(rating), comment=p.get("comment", ""),
                    ip=_ip(request), now=now)  # fmt: skip
        context["rated"] = True
        context["case"] = tracked_out(citizen_lookup(number=number, phone=phone, ip=_ip(request), now=now))
    except DomainError as exc:
        context["error"] = exc
        return render(request, "portal/track.html", context, status=exc.status)
    return render(request, "portal/track.html", context)


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    filters = selectors.PublicFilters(
        category=request.GET.get("category", "").strip()[:16],
        region=request.GET.get("region", "").strip()[:15],
        text=request.GET.get("q", "").strip()[:50],
    )
    try:
        qs = selectors.public_cases(reader=portal_reader(), filters=filters, now=clock.now())
    except DomainError as exc:
        return render(request, "portal/public.html", {"error": exc}, status=exc.status)
    page = Paginator(qs, conf().public_page_size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/public.html",
        {
            "page": page,
            "rows": [selectors.public_row(c) for c in page.object_list],
            "filters": filters,
            "categories": selectors.categories_for_citizens(),
            "query": query.urlencode(),
        },
    )


@require_GET
def map_outline(request: HttpRequest) -> JsonResponse:
    """The outlines the pick-a-place map draws (the city's counties): public, and cached."""
    key = "portal:map-outline"
    data = cache.get(key)
    if data is None:
        try:
            data = map_features(user=portal_reader(), region=receiving_center().region)
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        cache.set(key, data, 3600)
    return JsonResponse(data)
