"""The screen's page through Django's test client: where /screen/ leads, who is refused, and
the main navigation's entry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_screen_opens_on_the_users_own_region(world, personas):
    response = logged_in(personas.county_leader).get(reverse("dashboards:screen"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:place", args=[world.county.code])
    page = logged_in(personas.county_leader).get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-code="{world.county.code}"' in html
    assert "社会治理指挥大屏" in html and "vendor/echarts/echarts.min.js" in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "//cdn" not in html and "https://" not in html  # nothing from outside the network


def test_a_grid_below_the_users_region_has_its_screen(world, personas):
    page = logged_in(personas.township_dispatcher).get(reverse("dashboards:place", args=[world.grid.code]))
    assert page.status_code == 200
    assert world.grid.name in page.content.decode()


def test_another_countys_screen_is_refused_with_a_reason(world, personas):
    page = logged_in(personas.county_leader).get(reverse("dashboards:place", args=[world.other_county.code]))
    assert page.status_code == 403
    assert "无权查看" in page.content.decode()
    above = logged_in(personas.township_dispatcher).get(reverse("dashboards:place", args=[world.county.code]))
    assert above.status_code == 403


def test_an_unknown_place_is_not_found(personas):
    assert (
        logged_in(personas.county_leader).get(reverse("dashboards:place", args=["620199"])).status_code == 404
    )


@pytest.mark.parametrize("who", ["grid_worker", "housing_handler", "outsider"])
def test_people_outside_a_command_centre_are_refused_and_not_offered_the_screen(personas, who):
    client = logged_in(getattr(personas, who))
    response = client.get(reverse("dashboards:screen"))
    assert response.status_code == 403
    assert "指挥大屏仅供指挥中心人员查看" in response.content.decode()
    assert 'href="/screen/"' not in client.get(reverse("cases:queue")).content.decode()


def test_the_main_navigation_offers_the_screen_to_a_leader(personas):
    html = logged_in(personas.county_leader).get(reverse("cases:queue")).content.decode()
    assert 'href="/screen/"' in html and "指挥大屏" in html


def test_an_anonymous_visitor_is_sent_to_log_in(world):
    response = Client().get(reverse("dashboards:place", args=[world.county.code]))
    assert response.status_code == 302 and "/login/" in response["Location"]
