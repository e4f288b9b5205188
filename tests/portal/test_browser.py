"""The citizen portal in headless Chromium on a phone-sized screen (390×844, touch): a citizen
reports with a photo and a map pick, gets a number, tracks it, and rates the closed case; the
public list shows no personal data. Screenshots land in /tmp/ for a person to look at."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from gridgov.cases.enums import CaseAction, CaseStatus
from gridgov.cases.models import Case
from tests.conftest import close_context
from tests.portal.conftest import PHONE, close_through_loop, inside, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(name: str) -> str:
    return str(Path(tempfile.gettempdir()) / f"{name}.png")


@pytest.fixture
def phone(browser, world):
    lon, lat = inside(world.other_grid)
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat},
        permissions=["geolocation"],
    )
    page = context.new_page()
    yield page
    close_context(context)


def tap_map_at(page, lon: float, lat: float) -> None:
    xy = page.evaluate(
        "([lat, lon]) => { const m = document.getElementById('pick-map').leafletMap;"
        " const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }",
        [lat, lon],
    )
    page.mouse.click(*xy)


def test_a_citizen_reports_with_a_photo_and_a_map_pick_tracks_and_rates_on_a_phone(
    _city, live_server, phone, world, personas
):
    page = phone
    page.goto(f"{live_server.url}/portal/")
    page.screenshot(path=shot("portal-home"), full_page=True)
    page.get_by_role("link", name="我要报事").click()
    page.wait_for_selector("#pick-map.ready")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.locator("#category").select_option("2001")
    page.locator("#text").fill("小区东门口堆满建筑垃圾,影响通行")
    page.locator("#photos").set_input_files(
        [{"name": "门口.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_role("button", name="使用手机定位").click()
    page.wait_for_function("document.getElementById('lon').value !== ''")
    assert "手机定位" in page.locator("#picked").inner_text()
    page.locator("#pick-map").scroll_into_view_if_needed()
    lon, lat = inside(world.grid)
    # The citizen pans the map to the spot (the GPS zoomed it elsewhere), then taps it.
    page.evaluate(
        "([lat, lon]) => document.getElementById('pick-map').leafletMap.setView([lat, lon], 14)", [lat, lon]
    )
    tap_map_at(page, lon, lat)  # the pick on the map overrides the GPS position
    assert "地图点选" in page.locator("#picked").inner_text()
    page.locator("#phone").fill(PHONE)
    height = page.locator("#send").bounding_box()["height"]
    assert height >= 48  # a thumb's target
    page.screenshot(path=shot("portal-report"), full_page=True)
    page.locator("#send").click()

    number = page.locator("#case-number").inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.grid_id == world.grid.pk and case.attachments.count() == 1
    page.screenshot(path=shot("portal-done"), full_page=True)

    page.get_by_role("link", name="查询进度").click()
    assert page.locator("#number").input_value() == number
    page.locator("#track-phone").fill(PHONE)
    page.get_by_role("button", name="查询").click()
    assert page.locator("#case-status").inner_text() == "待受理"
    assert page.locator("#rate-form").count() == 0

    close_through_loop(personas, number, result="已清运完毕,联系电话13811112222")
    page.get_by_role("button", name="查询").click()
    assert page.locator("#case-status").inner_text() == "已办结(待评价)"
    timeline = page.locator("#timeline").inner_text()
    assert "已清运完毕" in timeline and "13811112222" not in timeline and "王科长" not in timeline
    page.get_by_label("满意", exact=True).check()
    page.locator("#comment").fill("处理很及时")
    page.screenshot(path=shot("portal-rate"), full_page=True)
    page.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in page.locator("#tracked").inner_text()
    assert page.locator("#case-rating").inner_text() == "满意"

    case.refresh_from_db()
    assert case.status == CaseStatus.ARCHIVED and case.rating == "satisfied"
    assert case.events.get(action=CaseAction.FOLLOW_UP).data == {"rating": "satisfied"}

    page.goto(f"{live_server.url}/portal/public/")
    listed = page.locator("#public-list").inner_text()
    assert "乱堆乱放" in listed and world.community.name in listed
    for secret in (PHONE, "13811112222", number):
        assert secret not in page.content()
    page.screenshot(path=shot("portal-public"), full_page=True)


def test_a_resent_form_whose_first_answer_was_lost_makes_one_case(_city, live_server, phone, world, personas):
    page = phone
    page.goto(f"{live_server.url}/portal/suggest/")
    page.locator("#text").fill("建议在社区公园增设健身器材")
    page.locator("#phone").fill(PHONE)
    # The first answer is lost on a weak signal (the case was made); the citizen taps again.
    lost = {"n": 0}

    def lose_first_answer(route):
        if route.request.method == "POST" and lost["n"] == 0:
            lost["n"] += 1
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/portal/suggest/", lose_first_answer)
    # The navigation fails: no answer came back.
    with pytest.raises(Exception, match=r"net::|ERR_"), page.expect_navigation():
        page.locator("#send").click()
    assert Case.objects.count() == 1
    # The browser sends the same form again. Chromium may still be swapping in its error page
    # when the first reload is asked for ("not attached"): ask again once it has.
    for attempt in range(5):
        try:
            page.reload()
            break
        except PlaywrightError:
            if attempt == 4:
                raise
            page.wait_for_timeout(300)
    number = page.locator("#case-number").inner_text().strip()
    assert lost["n"] == 1
    assert list(Case.objects.values_list("number", flat=True)) == [number]
