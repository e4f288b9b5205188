from __future__ import annotations

from django.urls import path

from gridgov.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk-dispatch", views.bulk_dispatch, name="bulk-dispatch"),
    path("new", views.intake, name="new"),
    path("new/caller", views.caller_cases, name="caller"),
    path("inbox", views.inbox, name="inbox"),
    path("supervision", views.supervision, name="supervision"),
    path("attachments/<int:pk>", views.attachment, name="attachment"),
    path("attachments/<int:pk>/thumbnail", views.attachment_thumbnail, name="attachment-thumbnail"),
    path("<str:number>/", views.detail, name="detail"),
]
