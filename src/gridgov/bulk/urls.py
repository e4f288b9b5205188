from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "bulk"

urlpatterns: list[URLPattern | URLResolver] = []
