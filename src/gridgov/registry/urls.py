from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from gridgov.registry import views

app_name = "registry"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("visits/due/", views.visits_due, name="visits-due"),
    path("frequencies/", views.frequencies, name="frequencies"),
    path("grid/<str:code>/", views.grid_profile, name="grid-profile"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/key-person/", views.key_person_new, name="key-person-new"),
    path("residents/<int:pk>/care/", views.care_set, name="care-set"),
    path("key-persons/<int:pk>/change/", views.key_person_change, name="key-person-change"),
    path("key-persons/<int:pk>/visit/", views.visit_new, name="visit-new"),
    path("hazards/<int:pk>/act/<str:action>/", views.hazard_act, name="hazard-act"),
    path("key-places/<int:pk>/inspect/", views.key_place_inspect, name="key-place-inspect"),
    path("<str:slug>/", views.register_list, name="list"),
    path("<str:slug>/new/", views.register_new, name="new"),
    path("<str:slug>/<int:pk>/", views.register_detail, name="detail"),
    path("<str:slug>/<int:pk>/edit/", views.register_edit, name="edit"),
]
