"""The phone app's pages: one app shell (the tabs are drawn by static/field/field.js from the
JSON API), its service worker and its web-app manifest. Thin: reads through selectors."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.cases.enums import Urgency
from gridgov.field.enums import FIELD_ROLES
from gridgov.registry.enums import KeyPersonStatus

_STATIC = Path(__file__).parent / "static" / "field"

# What the service worker keeps for a visit with no signal: the shell and the scripts it runs.
SHELL_ASSETS = (
    "gridgov/app.css",
    "field/field.css",
    "field/field.js",
    "field/icon-192.png",
    "vendor/idb-keyval/umd.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
)


@login_required
@require_GET
def app(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "field/app.html",
        {
            "field_user": getattr(request.user, "role", "") in FIELD_ROLES,
            "shell_assets": [static(a) for a in SHELL_ASSETS],
            "urgencies": Urgency.choices,
            "kp_statuses": KeyPersonStatus.choices,
        },
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    # Served from /field/ (not /static/) so that its scope is the app; never cached by HTTP, so
    # a new version reaches phones on their next visit.
    response = HttpResponse((_STATIC / "sw.js").read_text(encoding="utf-8"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = reverse("field:app")
    response["Cache-Control"] = "no-cache"
    return response


@never_cache
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    scope = reverse("field:app")
    return JsonResponse(
        {
            "name": "网格通 · 网格员移动端",
            "short_name": "网格通",
            "lang": "zh-CN",
            "start_url": scope,
            "scope": scope,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d3557",
            "icons": [
                {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
