from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("suggest/", views.suggest, name="suggest"),
    path("track/", views.track, name="track"),
    path("rate/", views.rate, name="rate"),
    path("public/", views.public, name="public"),
    path("map.geojson", views.map_outline, name="map"),
]
