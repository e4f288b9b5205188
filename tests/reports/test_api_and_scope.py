"""Asking for bulletins through the API, and who may generate and read them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.reports.models import Report
from tests.cases.conftest import Api
from tests.reports.conftest import at, make_case, refresh


def post(api: Api, body: dict):
    return api.client.post("/api/v1/reports/bulletins", json.dumps(body), content_type="application/json")


@pytest.fixture
def a_day(world, seat, clock_at):
    clock_at(at(2026, 3, 3, 9))
    make_case(seat, world.grid, title="路灯不亮")
    clock_at(at(2026, 3, 4, 8))
    refresh()


@pytest.fixture
def county_daily(world, personas, a_day, immediate_tasks, django_capture_on_commit_callbacks):
    leader = Api(personas.county_leader)
    with django_capture_on_commit_callbacks(execute=True):
        r = post(leader, {"kind": "daily", "region": world.county.code, "day": "2026-03-03"})
    assert r.status_code == 202, r.content
    return r.json()


def test_a_county_leader_generates_a_daily_report_in_the_worker_and_asking_again_changes_nothing(
    world, personas, county_daily, django_capture_on_commit_callbacks
):
    b = Report.objects.get(pk=county_daily["id"])
    assert (b.status, b.progress, b.versions.count()) == ("ready", 100, 1)
    leader = Api(personas.county_leader)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = post(leader, {"kind": "daily", "region": world.county.code, "day": "2026-03-03"})
    assert again.status_code == 200 and again.json()["id"] == b.pk and not callbacks
    detail = leader.client.get(f"/api/v1/reports/bulletins/{b.pk}").json()
    assert detail["latest_version"] == 1 and detail["may_edit"] is True
    version = leader.client.get(f"/api/v1/reports/bulletins/{b.pk}/versions/1").json()
    assert version["sections"][0]["text"].startswith("2026年3月3日,城关区共受理各类事件 1 件")
    assert set(version["downloads"]) == {"docx", "pdf", "xlsx"}
    assert leader.client.get(version["charts"][0]["url"])["Content-Type"] == "image/png"


def test_without_a_date_the_last_complete_period_is_generated(world, personas, a_day):
    r = post(Api(personas.county_leader), {"kind": "weekly"})
    assert r.status_code == 202
    # Wednesday 4 March: the last complete week is Monday 23 February to Sunday 1 March.
    assert r.json()["period"] == {"start": "2026-02-23", "end": "2026-03-01"}
    assert r.json()["region"]["code"] == world.county.code  # the caller's own region


def test_a_township_dispatcher_can_neither_generate_nor_read_the_county_report(world, personas, county_daily):
    township = Api(personas.township_dispatcher)
    r = post(township, {"kind": "daily", "region": world.county.code, "day": "2026-03-03"})
    assert r.status_code == 403 and r.json()["message"].startswith("无权生成")
    assert Report.objects.count() == 1
    bid = county_daily["id"]
    assert township.client.get(f"/api/v1/reports/bulletins/{bid}").status_code == 404
    assert township.client.get(f"/api/v1/reports/bulletins/{bid}/versions/1").status_code == 404
    assert township.client.get("/api/v1/reports/bulletins").json()["count"] == 0
    # Its own township is fine.
    assert (
        post(township, {"kind": "daily", "region": world.township.code, "day": "2026-03-03"}).status_code
        == 202
    )


def test_the_pages_and_files_of_a_report_are_closed_to_users_outside_its_region(
    world, personas, county_daily
):
    bid = county_daily["id"]
    for user in (personas.township_dispatcher, personas.other_county_leader):
        c = Client()
        c.force_login(user)
        assert c.get(f"/bulletins/{bid}/").status_code == 404
        assert c.get(f"/bulletins/{bid}/v1.pdf").status_code == 404
        assert c.get(f"/bulletins/{bid}/v1/chart/volumes.png").status_code == 404
        assert c.post(f"/bulletins/{bid}/publish", {"base_version": 1}).status_code == 404
    # A department's handler reads no bulletins: they name every department of the region.
    c = Client()
    c.force_login(personas.housing_handler)
    assert c.get("/bulletins/").status_code == 403
    assert Api(personas.housing_handler).client.get("/api/v1/reports/bulletins").json()["count"] == 0
    c.force_login(personas.city_dispatcher)  # the city sees its counties' bulletins
    assert c.get(f"/bulletins/{bid}/").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "yearly", "region": "620102"}, 422, "invalid_input"),
        ({"kind": "daily", "region": "999999"}, 404, "region_not_found"),
        ({"kind": "daily", "day": "2026-03-05"}, 422, "future_period"),
        ({"kind": "daily", "day": "2026-03-03", "extra": 1}, 422, "invalid_input"),
    ],
)
def test_a_bad_request_gets_a_clear_answer_and_creates_nothing(personas, a_day, body, status, code):
    r = post(Api(personas.county_leader), body)
    assert r.status_code == status and r.json()["code"] == code
    assert " / " in r.json()["message"]
    assert Report.objects.count() == 0


def test_the_page_shows_a_queued_report_with_its_progress_until_the_worker_has_made_it(
    world, personas, a_day
):
    from gridgov.core import clock
    from gridgov.reports.services import report_generate

    c = Client()
    c.force_login(personas.county_leader)
    r = c.post("/bulletins/", {"kind": "daily", "region": world.county.code, "day": "2026-03-03"})
    b = Report.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/bulletins/{b.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert 'id="gen-status"' in page and 'data-status="queued"' in page and "排队中" in page
    assert c.get(f"/bulletins/{b.pk}/status").json()["status"] == "queued"
    report_generate(report_id=b.pk, now=clock.now())
    assert c.get(f"/bulletins/{b.pk}/status").json() == {
        "status": "ready",
        "label": "已生成",
        "progress": 100,
        "note": "",
        "error": "",
    }
    page = c.get(r["Location"]).content.decode()
    assert 'id="gen-status"' not in page and "城关区社会治理工作日报" in page


def test_a_bad_form_on_the_page_says_why_and_creates_nothing(world, personas, a_day):
    c = Client()
    c.force_login(personas.county_leader)
    for form, why in (
        ({"kind": "daily", "region": world.county.code, "day": "3月3日"}, "日期“3月3日”无效"),
        ({"kind": "daily", "region": "999999", "day": "2026-03-03"}, "请选择区域"),
        ({"kind": "daily", "region": world.county.code, "day": "2026-03-09"}, "不能为尚未开始的时段生成简报"),
        ({"kind": "daily", "region": world.other_county.code, "day": "2026-03-03"}, "无权生成"),
    ):
        page = c.post("/bulletins/", form, follow=True).content.decode()
        assert why in page
    assert Report.objects.count() == 0
