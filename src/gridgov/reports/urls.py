from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status", views.status, name="status"),
    path("<int:pk>/edit", views.edit, name="edit"),
    path("<int:pk>/publish", views.publish, name="publish"),
    path("<int:pk>/v<int:number>.<str:fmt>", views.file, name="download"),
    path("<int:pk>/v<int:number>/chart/<str:key>.png", views.chart, name="chart"),
]
