from bench.bareapp.views import bare_insert
from django.urls import include, path

urlpatterns = [
    path("bench/bare", bare_insert),
    path("", include("gridgov.urls")),
]
