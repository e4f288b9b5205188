"""The report pages in headless Chromium: a county leader generates a daily report, edits a
section, publishes it, edits again into a second version. Screenshots go to the temp directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.reports.models import Report
from gridgov.stats.services import stats_refresh
from tests.conftest import browser_login
from tests.reports.conftest import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(name: str) -> str:
    return str(Path(tempfile.gettempdir()) / f"{name}.png")


def test_a_county_leader_generates_edits_and_publishes_a_report_on_the_page(
    _city, live_server, page, world, personas, seat, immediate_tasks
):
    for title in ("路灯不亮", "井盖缺失", "占道经营"):
        make_case(seat, world.grid, title=title)
    stats_refresh()
    browser_login(page, live_server, personas.county_leader.username)
    page.goto(f"{live_server.url}/bulletins/")
    assert "还没有简报" in page.locator("main").inner_text()
    page.get_by_label("类型").last.select_option("daily")
    page.locator("#g-region").select_option(world.county.code)
    page.locator("#g-day").fill(timezone.localdate().isoformat())
    page.locator("#g-submit").click()

    page.wait_for_selector("#report")
    overview = page.locator('[data-section="overview"]').inner_text()
    assert "城关区共受理各类事件 3 件" in overview
    assert page.locator("#version-state").inner_text() == "草稿"
    assert page.locator(".charts img").count() >= 1
    page.screenshot(path=shot("report-generated"), full_page=True)

    page.locator("#edit").click()
    box = page.locator("#section-overview")
    box.fill("今日全区受理 3 件,运行平稳。")
    box.press("Control+Enter")  # saves from the keyboard
    page.wait_for_selector("#report")
    assert "今日全区受理 3 件,运行平稳。" in page.locator('[data-section="overview"]').inner_text()

    page.locator("#publish").click()
    page.wait_for_selector("#version-state.state-published")
    assert page.locator("#version-state").inner_text() == "已发布"

    page.locator("#edit").click()
    assert "保存后将生成第 2 版草稿" in page.locator("main").inner_text()
    page.locator("#section-overview").fill("今日全区受理 3 件,运行平稳,无重大事项。")
    page.locator("#save").click()
    page.wait_for_selector("#report")
    assert page.locator("#version-state").inner_text() == "草稿"
    versions = page.locator("#versions li").all_inner_texts()
    assert versions[0].startswith("第 2 版 · 草稿") and versions[1].startswith("第 1 版 · 已发布")
    page.locator("#versions li").nth(1).locator("a").click()
    assert "今日全区受理 3 件,运行平稳。" in page.locator('[data-section="overview"]').inner_text()
    assert "这是历史版本" in page.locator("main").inner_text()

    b = Report.objects.get()
    assert list(b.versions.values_list("number", "state")) == [(1, "published"), (2, "draft")]
    page.goto(f"{live_server.url}/bulletins/")
    assert page.locator("#bulletins tbody tr").count() == 1
    page.screenshot(path=shot("report-list"), full_page=True)
