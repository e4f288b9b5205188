from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.dashboards import views

app_name = "dashboards"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.screen_home, name="screen"),
    path("<str:code>/", views.screen, name="place"),
]
