"""GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests (GET and
POST), one request, and the servicerequestupdates extension; each as .json or .xml.

Thin: parameters are read and checked here, the cases are read through open311/selectors and
written through open311/services. Errors are GeoReport errors ([{code, description}]) with
the HTTP status in `code`; the description is Chinese first, English after " / "."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from gridgov.core import clock
from gridgov.core.errors import DomainError, NotFound
from gridgov.open311 import present, selectors
from gridgov.open311.enums import Format
from gridgov.open311.errors import BadRequest
from gridgov.open311.render import error, respond
from gridgov.open311.services import request_submit
from gridgov.portal.services import portal_reader

View = Callable[..., HttpResponse]


def georeport(*methods: str) -> Callable[[View], View]:
    """Checks the format and the method, and turns domain errors into GeoReport errors."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in Format.values:
                return error(Format.JSON, 404, f"不支持的格式 {fmt[:20]},请用 json 或 xml / unknown format")
            if request.method not in methods:
                response = error(fmt, 405, f"不支持 {request.method} 方法 / method not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except DomainError as exc:
                return error(fmt, exc.status, exc.as_dict()["message"])

        return csrf_exempt(inner)

    return wrap


def _param(request: HttpRequest, name: str) -> str:
    # POST parameters come form-encoded; clients (and the published Swagger file) also send
    # them in the query string.
    value = request.POST.get(name) if request.method == "POST" else None
    return (value if value is not None else request.GET.get(name, "")).strip()


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


# W3C / RFC 3339 date-time, as GeoReport v2 asks: 2010-01-01T00:00:00Z or with an offset.
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def _when(request: HttpRequest, name: str) -> datetime | None:
    raw = _param(request, name)
    if not raw and name not in request.GET and name not in request.POST:
        return None
    if len(raw) > 6 and raw[-6] == " ":  # "+08:00" in an unencoded query string arrives as " 08:00"
        raw = raw[:-6] + "+" + raw[-5:]
    parsed = None
    if W3C.match(raw):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise BadRequest(
            f"{name} 须为 W3C 日期时间,如 2026-03-01T00:00:00+08:00", f"{name} must be a W3C date-time"
        )
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which RFC 3339 allows.
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # the first or last representable day, shifted past the calendar
        return datetime.min.replace(tzinfo=UTC) if parsed.year == 1 else datetime.max.replace(tzinfo=UTC)


def _float(request: HttpRequest, name: str) -> float | None:
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} 须为数字", f"{name} must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadRequest(f"{name} 须为有限数字", f"{name} must be a finite number")
    return value


def _base(request: HttpRequest) -> str:
    return (
        request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
        + "/"
    )


@georeport("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changeset = present.stamp(timezone.make_aware(datetime(2026, 11, 21)))
    body = {
        "changeset": changeset,
        "contact": "市域社会治理平台运维 / gridgov operators",
        "key_service": "向平台管理员申请 api_key / ask the operators for an api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": _base(request),
                "changeset": changeset,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@georeport("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(fmt, "services", [present.service_out(c) for c in selectors.services_all()])


@georeport("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = selectors.service_get(code)
    body = present.definition_out(category, selectors.attributes_of(category.code))
    return respond(fmt, "service_definition", body)


def _attributes(data: QueryDict) -> dict[str, list[str]]:
    """attribute[CODE]=value (GeoReport v2), repeated for a multi-value list."""
    found: dict[str, list[str]] = {}
    for key in data:
        if key.startswith("attribute[") and key.endswith("]"):
            found.setdefault(key[10:-1], []).extend(data.getlist(key))
    return found


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    client = selectors.client_for_key(_param(request, "api_key"))
    if not _param(request, "service_code"):
        raise BadRequest("缺少 service_code", "service_code is required")
    fields = ("service_code", "address_string", "address_id", "email", "device_id", "account_id",
              "first_name", "last_name", "phone", "description", "media_url")  # fmt: skip
    params: dict[str, Any] = {name: _param(request, name) for name in fields}
    params["lat"], params["long"] = _float(request, "lat"), _float(request, "long")
    if (
        params["lat"] is None
        and params["long"] is None
        and not params["address_string"]
        and not params["address_id"]
    ):
        raise BadRequest(
            "须给出位置:lat/long、address_string 或 address_id 之一",
            "a location is required (lat/long or address)",
        )
    attributes = {**_attributes(request.GET), **_attributes(request.POST)}
    case = request_submit(
        client=client, params=params, attributes=attributes,
        key=request.headers.get("Idempotency-Key", ""), now=clock.now(),
    )  # fmt: skip
    return respond(fmt, "service_requests", [present.posted_out(case)])


def _query(request: HttpRequest) -> selectors.RequestQuery:
    statuses = _list(_param(request, "status").lower())
    if any(s not in ("open", "closed") for s in statuses):
        raise BadRequest("status 只能是 open 或 closed", "status must be open or closed")
    start, end = _when(request, "start_date"), _when(request, "end_date")
    return selectors.RequestQuery(
        ids=_list(_param(request, "service_request_id")),
        service_codes=_list(_param(request, "service_code")),
        start=start,
        end=end,
        statuses=statuses,
    )


@georeport("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    query = _query(request)
    cases = selectors.requests_find(reader=portal_reader(), query=query, now=clock.now())
    return respond(fmt, "service_requests", [present.request_out(c) for c in cases])


@georeport("GET")
def request_one(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    case = selectors.request_get(reader=portal_reader(), number=number, now=clock.now())
    return respond(fmt, "service_requests", [present.request_out(case)])


@georeport("GET")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    query = _query(request)
    events = selectors.updates_find(reader=portal_reader(), query=query, now=clock.now())
    rows = [u for u in (present.update_out(e) for e in events) if u is not None]
    return respond(fmt, "service_request_updates", rows)


@georeport("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    # POST answers with the service_request_id at once, so no token is ever handed out.
    raise NotFound(
        "没有该令牌:提交请求时已直接返回 service_request_id", "unknown token: requests get their id at once",
        code="unknown_token",
    )  # fmt: skip


@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    fmt = Format.XML if request.path.endswith(".xml") else Format.JSON
    return error(fmt, 404, "没有这个 Open311 接口 / no such Open311 endpoint")
