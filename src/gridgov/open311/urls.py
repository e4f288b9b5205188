from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from gridgov.open311 import views

app_name = "open311"

# `fmt` is any word so that an unknown format gets a GeoReport error rather than a bare 404.
F = r"\.(?P<fmt>[^/]*)"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(rf"^discovery{F}$", views.discovery, name="discovery"),
    re_path(rf"^services{F}$", views.services, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){F}$", views.service_definition, name="service"),
    re_path(rf"^requests{F}$", views.requests, name="requests"),
    re_path(rf"^requests/(?P<number>[^/]+?){F}$", views.request_one, name="request"),
    # The published Swagger file names this path in the singular; real clients use the plural.
    re_path(rf"^request/(?P<number>[^/]+?){F}$", views.request_one, name="request-singular"),
    re_path(rf"^servicerequestupdates{F}$", views.updates, name="updates"),
    re_path(rf"^tokens/(?P<token>[^/]+?){F}$", views.token, name="token"),
    # Anything else under /open311/v2/ is a GeoReport 404 too, not the site's HTML page.
    re_path(r"^.*$", views.unknown, name="unknown"),
]
