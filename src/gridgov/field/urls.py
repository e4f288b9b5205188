from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.field import views

app_name = "field"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.app, name="app"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
