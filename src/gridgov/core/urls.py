from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.core import views

app_name = "core"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.audit_log, name="audit-log"),
]
