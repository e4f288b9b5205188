"""The JSON API at /api/v1/: one NinjaAPI, each domain adds its router."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from gridgov.accounts.auth import BearerOrSession
from gridgov.core.errors import DomainError

api = NinjaAPI(
    title="gridgov API",
    version="1",
    urls_namespace="api",
    auth=BearerOrSession(),
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # 422 with the field paths and a readable message per field, not a bare pydantic dump.
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", []) if p not in ("body", "query")),
            "message": e.get("msg"),
        }
        for e in exc.errors
    ]
    return api.create_response(
        request,
        {"code": "invalid_input", "message": "请求参数无效 / invalid input", "errors": errors},
        status=422,
    )


# Each domain with an API has `api.py` defining `router`; its prefix is the domain's name.
# Listed here rather than discovered, so the URL map is readable in one place.
_ROUTED = [
    "geo", "accounts", "cases", "notify", "stats", "dashboards", "reports", "registry", "bulk", "field",
    "portal",
]  # fmt: skip


def _add_routers() -> None:
    from importlib import import_module

    for name in _ROUTED:
        module = import_module(f"gridgov.{name}.api")
        api.add_router(f"/{name}", module.router)
    # Reading attachments back (GET /cases/attachments/{id}[/thumbnail]), beside the cases
    # router's upload (POST /cases/attachments); scoped like the case.
    api.add_router("/cases/attachments", import_module("gridgov.cases.api_files").router)


_add_routers()
