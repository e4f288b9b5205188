"""The portal's pages through Django's client: anonymous, each refusal re-rendered with its
message and its status."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.cases.models import Case
from tests.portal.conftest import PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client():
    return Client(REMOTE_ADDR="10.7.7.7")


@pytest.mark.parametrize(
    "path", ["/portal/", "/portal/report/", "/portal/suggest/", "/portal/track/", "/portal/public/"]
)
def test_every_page_opens_without_an_account(browser_client, personas, path):
    response = browser_client.get(path)
    assert response.status_code == 200
    assert 'class="mainnav"' not in response.content.decode()  # no staff navigation for the public


def test_the_map_outline_is_the_citys_counties(browser_client, world, personas):
    body = browser_client.get("/portal/map.geojson").json()
    assert body["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in body["features"]} >= {world.county.code, world.other_county.code}


def _form(client) -> dict:
    page = client.get("/portal/report/").content.decode()
    token = page.split('name="form_token" value="')[1].split('"')[0]
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    return {
        "form_token": token,
        "submission_key": key,
        "category": "2001",
        "text": "路灯坏了好几天了",
        "phone": PHONE,
    }


def test_a_report_page_posts_and_a_repost_answers_the_same_number(browser_client, personas, monday):
    data = _form(browser_client)
    first = browser_client.post("/portal/report/", data)
    again = browser_client.post("/portal/report/", data)
    number = Case.objects.get().number
    assert number in first.content.decode() and number in again.content.decode()


def test_a_filled_honeypot_re_renders_the_form_with_a_422_and_makes_nothing(browser_client, personas, monday):
    response = browser_client.post("/portal/report/", {**_form(browser_client), "website": "x"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "提交未通过校验" in page and "路灯坏了好几天了" in page  # the citizen's text is kept
    assert Case.objects.count() == 0


def test_tracking_by_page_is_rate_limited_with_a_chinese_429(browser_client, personas, monday):
    for i in range(10):
        wrong = browser_client.post(
            "/portal/track/", {"number": "620102-20260302-0001", "phone": f"1380000{i:04d}"}
        )
        assert wrong.status_code == 404 and "未找到该事件" in wrong.content.decode()
    limited = browser_client.post("/portal/track/", {"number": "620102-20260302-0001", "phone": PHONE})
    assert limited.status_code == 429
    assert "操作过于频繁" in limited.content.decode()
