"""The app shell, its service worker and manifest as served (Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_grid_worker_gets_the_app_shell_and_the_nav_entry(personas):
    client = Client()
    client.force_login(personas.grid_worker)
    r = client.get("/field/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'rel="manifest"' in html and "vendor/idb-keyval/umd.js" in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert '<a href="/field/">网格员移动端</a>' in html  # the main nav's entry (nav.py)


def test_the_nav_entry_is_hidden_from_a_department_handler(personas):
    client = Client()
    client.force_login(personas.housing_handler)
    assert '<a href="/field/">' not in client.get("/field/").content.decode()


def test_the_field_page_needs_a_login():
    r = Client().get("/field/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_service_worker_is_served_at_the_apps_scope_uncached(db):
    r = Client().get("/field/sw.js")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")
    assert r["Service-Worker-Allowed"] == "/field/"
    assert r["Cache-Control"] == "no-cache"
    assert b"caches.open" in r.content


def test_the_manifest_names_the_app_in_chinese(db):
    data = Client().get("/field/manifest.webmanifest").json()
    assert data["short_name"] == "网格通" and data["scope"] == "/field/"
