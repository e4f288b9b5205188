"""Editing the generated text, publishing, and the versions kept."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.core import clock
from gridgov.reports.models import ReportVersion
from gridgov.reports.services import report_generate, report_request
from tests.cases.conftest import Api
from tests.reports.conftest import at, make_case, refresh


@pytest.fixture
def report(world, seat, clock_at):
    clock_at(at(2026, 3, 3, 9))
    make_case(seat, world.grid, title="路灯不亮")
    clock_at(at(2026, 3, 4, 8))
    refresh()
    b, _ = report_request(
        actor=seat, kind="daily", region=world.county, day=at(2026, 3, 3).date(), now=clock.now()
    )
    report_generate(report_id=b.pk, now=clock.now())
    return b


def put(api: Api, bid: int, body: dict):
    return api.client.put(
        f"/api/v1/reports/bulletins/{bid}/sections", json.dumps(body), content_type="application/json"
    )


def publish(api: Api, bid: int, base: int):
    return api.client.post(
        f"/api/v1/reports/bulletins/{bid}/publish",
        json.dumps({"base_version": base}),
        content_type="application/json",
    )


def test_edit_then_publish_then_edit_again_keeps_the_published_version_as_it_was(personas, report, clock_at):
    leader = Api(personas.county_leader)
    generated = ReportVersion.objects.get(report=report, number=1).sections
    r = put(leader, report.pk, {"base_version": 1, "sections": {"overview": "昨日全区平稳,共受理 1 件。"}})
    assert r.status_code == 200 and r.json()["number"] == 1 and r.json()["state"] == "draft"
    assert r.json()["sections"][0]["text"] == "昨日全区平稳,共受理 1 件。"
    assert r.json()["sections"][1:] == generated[1:]  # the other sections stay as generated

    r = publish(leader, report.pk, 1)
    assert r.status_code == 200 and r.json()["state"] == "published"
    assert publish(leader, report.pk, 1).status_code == 409  # published once

    clock_at(at(2026, 3, 4, 9))
    r = put(leader, report.pk, {"base_version": 1, "sections": {"overdue": "超期事件已逐件督办。"}})
    assert r.status_code == 200 and (r.json()["number"], r.json()["state"]) == (2, "draft")
    first, second = ReportVersion.objects.filter(report=report).order_by("number")
    assert (first.state, first.sections[0]["text"]) == ("published", "昨日全区平稳,共受理 1 件。")
    assert first.sections[-1]["text"] == generated[-1]["text"]
    assert second.sections[-1]["text"] == "超期事件已逐件督办。"
    assert second.data == first.data  # the same frozen figures
    assert [c.key for c in second.charts.all()] == [c.key for c in first.charts.all()]
    assert publish(leader, report.pk, 2).json()["state"] == "published"
    listed = leader.client.get(f"/api/v1/reports/bulletins/{report.pk}").json()["versions"]
    assert [(v["number"], v["state"]) for v in listed] == [(2, "published"), (1, "published")]


def test_a_stale_or_empty_or_unknown_edit_is_refused_and_changes_nothing(personas, report):
    leader = Api(personas.county_leader)
    before = list(ReportVersion.objects.values_list("number", "sections"))
    cases = [
        ({"base_version": 2, "sections": {"overview": "x"}}, 409, "stale_version"),
        ({"base_version": 1, "sections": {"overview": "   "}}, 422, "empty_section"),
        ({"base_version": 1, "sections": {"nonsense": "x"}}, 422, "unknown_section"),
        ({"base_version": 1, "sections": {}}, 422, "invalid_input"),
    ]
    for body, status, code in cases:
        r = put(leader, report.pk, body)
        assert (r.status_code, r.json()["code"]) == (status, code), r.content
    assert list(ReportVersion.objects.values_list("number", "sections")) == before


def test_only_leaders_and_dispatchers_of_the_centre_edit_and_publish(world, personas, report):
    from gridgov.accounts.enums import Role
    from tests.conftest import _center, make_user

    analyst = make_user("analyst", Role.ANALYST, center=_center(world.county))
    r = put(Api(analyst), report.pk, {"base_version": 1, "sections": {"overview": "改"}})
    assert r.status_code == 403
    assert publish(Api(analyst), report.pk, 1).status_code == 403
    assert Api(analyst).client.get(f"/api/v1/reports/bulletins/{report.pk}").json()["may_edit"] is False
    c = Client()
    c.force_login(analyst)
    assert c.get(f"/bulletins/{report.pk}/edit").status_code == 403
    assert c.post(f"/bulletins/{report.pk}/publish", {"base_version": "1"}).status_code == 403
    assert c.get(f"/bulletins/{report.pk}/").status_code == 200  # reading is fine
    assert ReportVersion.objects.get(report=report).state == "draft"


def test_the_edit_page_saves_each_section_and_the_publish_button_freezes_it(personas, report):
    c = Client()
    c.force_login(personas.county_leader)
    page = c.get(f"/bulletins/{report.pk}/edit")
    assert page.status_code == 200 and "section-overview" in page.content.decode()
    form = {f"section-{s['key']}": s["text"] for s in report.versions.get().sections}
    form.update({"base_version": "1", "section-categories": "主要为城乡建设类。"})
    r = c.post(f"/bulletins/{report.pk}/edit", form)
    assert r.status_code == 302
    form["section-categories"] = ""
    r = c.post(f"/bulletins/{report.pk}/edit", form)
    assert r.status_code == 422 and "正文不能为空" in r.content.decode()
    assert report.versions.get().sections[2]["text"] == "主要为城乡建设类。"
    c.post(f"/bulletins/{report.pk}/publish", {"base_version": "1"})
    detail = c.get(f"/bulletins/{report.pk}/").content.decode()
    assert "主要为城乡建设类。" in detail and "已发布" in detail
