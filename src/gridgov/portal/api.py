"""/api/v1/portal: the citizen portal's JSON, for the mini-program and the portal's own pages.
Anonymous; protected by rate limits, a form token and a honeypot (portal/antibot.py)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Form, Query, Router, Schema, Status

from gridgov.cases.enums import Rating
from gridgov.core import clock
from gridgov.core.audit import client_ip
from gridgov.geo.enums import Crs
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

router = Router(tags=["portal"], auth=None)


@router.get("/categories", response=list[dict])
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": top.code,
            "name": top.name,
            "children": [{"code": c.code, "name": c.name} for c in top.children.all() if c.active],
        }
        for top in selectors.categories_for_citizens()
    ]


@router.get("/form", response=dict)
def form(request: HttpRequest) -> dict[str, Any]:
    return {
        "form_token": form_token(now=clock.now()),
        "min_fill_seconds": conf().min_fill_seconds,
        "honeypot": HONEYPOT,
        "max_photos": conf().max_photos,
        "max_photo_bytes": conf().max_photo_bytes,
    }


class ReportIn(Schema):
    kind: ReportKind = ReportKind.ISSUE
    category: str = ""
    text: str
    phone: str
    name: str = ""
    lon: float | None = None
    lat: float | None = None
    coord_system: Crs = Crs.WGS84
    address: str = ""
    form_token: str = ""
    website: str = ""  # the honeypot: left empty by people


@router.post("/reports", response={200: dict, 201: dict})
def report(request: HttpRequest, data: Form[ReportIn]) -> Status:
    # Photos are the multipart parts named `photos` (any number, each checked by the service).
    now = clock.now()
    form_check(token=data.form_token, honeypot=data.website, now=now)
    case, created = portal_report_submit(
        report=CitizenReport(
            kind=data.kind,
            category_code=data.category,
            text=data.text,
            phone=data.phone,
            name=data.name,
            lon=data.lon,
            lat=data.lat,
            coord_system=data.coord_system,
            address=data.address,
        ),
        photos=request.FILES.getlist("photos"),
        key=request.headers.get("Idempotency-Key", ""),
        ip=client_ip(request) or "",
        now=now,
    )
    return Status(201 if created else 200, {"number": case.number, "created": created})


class TrackIn(Schema):
    number: str
    phone: str


@router.post("/track", response=dict)
def track(request: HttpRequest, data: TrackIn) -> dict[str, Any]:
    case = citizen_lookup(number=data.number, phone=data.phone, ip=client_ip(request) or "", now=clock.now())
    return tracked_out(case)


class RateIn(Schema):
    number: str
    phone: str
    rating: Rating
    comment: str = ""


@router.post("/rate", response=dict)
def rate(request: HttpRequest, data: RateIn) -> dict[str, Any]:
    now = clock.now()
    case = portal_rate(
        number=data.number, phone=data.phone, rating=data.rating, comment=data.comment,
        ip=client_ip(request) or "", now=now,
    )  # fmt: skip
    return {"number": case.number, "rating": case.rating, "status": selectors.public_status(case)}


class PublicQuery(Schema):
    category: str = ""
    region: str = ""
    q: str = ""
    page: int = 1


@router.get("/public", response=dict)
def public(request: HttpRequest, query: Query[PublicQuery]) -> dict[str, Any]:
    qs = selectors.public_cases(
        reader=portal_reader(),
        filters=selectors.PublicFilters(category=query.category, region=query.region, text=query.q),
        now=clock.now(),
    )
    page = Paginator(qs, conf().public_page_size).get_page(query.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [selectors.public_row(c) for c in page.object_list],
    }
