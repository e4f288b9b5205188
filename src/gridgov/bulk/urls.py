from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.bulk import views

app_name = "bulk"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("templates/<str:register>.<str:fmt>", views.template_download, name="template"),
    path("upload/", views.upload, name="upload"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="progress"),
    path("jobs/<int:job_id>/report.<str:fmt>", views.report_download, name="report"),
    path("export/", views.export, name="export"),
]
