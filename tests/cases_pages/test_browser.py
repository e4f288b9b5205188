"""The case pages in headless Chromium: the seat agent's intake, the dispatcher's bulk
dispatch, the handler's report back. Each page is also photographed into /tmp/ for review."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from gridgov.cases.enums import CaseAction, CaseStatus
from gridgov.cases.models import Case
from tests.cases_pages.conftest import TO_REGISTERED, act, inside, make_case
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(name: str) -> Path:
    """Screenshots land in the temp directory (/tmp/) for a person to look at."""
    return Path(tempfile.gettempdir()) / f"{name}.png"


def click_map_at(page, lon: float, lat: float) -> None:
    xy = page.evaluate(
        "([lat, lon]) => { const m = document.getElementById('map').leafletMap;"
        " const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }",
        [lat, lon],
    )
    page.mouse.click(*xy)


def test_a_seat_agent_registers_a_call_by_keyboard_and_a_retry_makes_no_second_case(
    _city, live_server, page, seat, world
):
    earlier = make_case(seat, world.grid, title="楼上漏水", phone="13812345678")
    browser_login(page, live_server, seat.username)
    page.goto(f"{live_server.url}{reverse('cases:new')}")
    page.wait_for_selector("#map.ready")
    page.locator("#phone").fill("13812345678")
    page.wait_for_selector("#history-list")
    assert earlier.number in page.locator("#history").inner_text()
    page.locator("#category-search").fill("房屋安全")
    assert page.locator("#category").input_value() == "0101"
    page.locator("#description").fill("三单元墙体开裂,担心倒塌")
    page.locator("#address").fill("幸福小区三单元")
    lon, lat = inside(world.grid)
    click_map_at(page, lon, lat)
    assert "已选位置" in page.locator("#picked").inner_text()
    page.screenshot(path=shot("cases-intake"), full_page=True)

    # The first answer is lost on the way back (the case was made); the agent presses again.
    lost = {"n": 0}

    def lose_first_answer(route):
        lost["n"] += 1
        if lost["n"] == 1:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/cases", lose_first_answer)
    page.locator("#description").press("Control+Enter")
    page.wait_for_selector("#intake-error:not([hidden])")
    assert "网络中断" in page.locator("#intake-error").inner_text()
    assert page.locator("#description").input_value() == "三单元墙体开裂,担心倒塌"  # nothing typed is lost
    page.locator("#description").press("Control+Enter")
    page.wait_for_selector("#done:not([hidden])")
    number = page.locator("#new-number").inner_text()
    assert "未重复建件" in page.locator("#new-status").inner_text()
    made = Case.objects.filter(address="幸福小区三单元")
    assert [c.number for c in made] == [number]
    assert made[0].grid_id == world.grid.pk and made[0].category.code == "0101"
    page.screenshot(path=shot("cases-intake-done"), full_page=True)

    # 新建下一件: a fresh form (and key); a refused request keeps what was typed.
    page.unroute("**/api/v1/cases")
    page.keyboard.press("Alt+n")
    page.wait_for_selector("#intake:not([hidden])")
    assert page.locator("#phone").input_value() == ""
    page.locator("#phone").fill("12")
    page.locator("#category-search").fill("物业")
    page.locator("#title").fill("电话不对的一件")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#intake-error:not([hidden])")
    assert "联系电话格式不正确" in page.locator("#intake-error").inner_text()
    assert page.locator("#title").input_value() == "电话不对的一件"
    assert not Case.objects.filter(title="电话不对的一件").exists()


def test_a_dispatcher_filters_the_queue_and_dispatches_two_cases_at_once(
    _city, live_server, page, seat, world, housing_bureau, personas
):
    one = make_case(seat, world.grid, title="路灯不亮", description="东路", until=TO_REGISTERED)
    two = make_case(seat, world.grid, title="路灯闪烁", description="西路", until=TO_REGISTERED)
    other = make_case(seat, world.grid, title="井盖缺失", description="南路", until=TO_REGISTERED)
    browser_login(page, live_server, seat.username)
    page.goto(f"{live_server.url}{reverse('cases:queue')}")
    page.locator("#filters input[name=text]").fill("路灯")
    page.locator("#filters input[name=text]").press("Enter")
    page.wait_for_url("**text=*")
    page.locator('.tabs a[data-tab="pending"]').click()
    page.wait_for_url("**tab=pending*")
    rows = page.locator("table#cases tbody tr")
    assert rows.count() == 2
    assert other.number not in page.locator("table#cases").inner_text()
    page.locator("#select-all").check()
    assert page.locator("#bulk-count").inner_text() == "2"
    page.locator("#bulk-department").select_option(housing_bureau.code)
    page.screenshot(path=shot("cases-queue"), full_page=True)
    page.locator("#bulk-submit").click()
    page.wait_for_selector(".messages li.success")
    text = page.locator(".messages").inner_text()
    assert f"{one.number}:已派遣" in text and f"{two.number}:已派遣" in text
    statuses = dict(Case.objects.values_list("number", "status"))
    assert statuses[one.number] == statuses[two.number] == CaseStatus.DISPATCHED
    assert statuses[other.number] == CaseStatus.REGISTERED
    page.screenshot(path=shot("cases-queue-after"), full_page=True)
    # The leader's supervision list, photographed for review.
    act(personas.county_leader, one.number, CaseAction.SUPERVISE, note="限期办结")
    page.context.clear_cookies()
    browser_login(page, live_server, personas.county_leader.username)
    page.goto(f"{live_server.url}{reverse('cases:supervision')}")
    assert one.number in page.locator("table#cases").inner_text()
    page.screenshot(path=shot("cases-supervision"), full_page=True)


def test_a_handler_opens_its_inbox_and_reports_back_from_the_case_page(
    _city, live_server, page, seat, world, housing_bureau, personas
):
    case = make_case(seat, world.grid, title="楼道墙体开裂", until=TO_REGISTERED)
    act(seat, case.number, CaseAction.DISPATCH, department_code=housing_bureau.code)
    act(personas.housing_handler, case.number, CaseAction.HANDLE)
    browser_login(page, live_server, personas.housing_handler.username)
    page.goto(f"{live_server.url}{reverse('cases:inbox')}?box=handling")
    page.screenshot(path=shot("cases-inbox"), full_page=True)
    assert case.number in page.locator("#my-notices").inner_text()  # the assignment sheet waits
    page.locator("table#cases").get_by_role("link", name=case.number).click()
    page.wait_for_selector("#map.ready")
    form = page.locator('form[data-act="report_back"]')
    page.locator("details.act summary", has_text="反馈").first.click()
    # Without a result the API refuses (422): its message shows, and the page stays.
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('form[data-act=report_back] .form-error').textContent.length > 0"
    )
    assert "办理结果" in form.locator(".form-error").inner_text()
    form.locator("textarea[name=note]").fill("已组织维修,墙体裂缝已封堵加固")
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.getElementById('case-status').textContent.includes('已反馈')")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REPORTED
    assert "已组织维修" in page.locator("#timeline").inner_text()
    page.screenshot(path=shot("cases-detail"), full_page=True)


def test_a_seat_agent_attaches_a_photo_at_intake_and_the_case_page_shows_and_downloads_it(
    _city, live_server, page, seat, world
):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buf, "PNG")
    photo = buf.getvalue()
    browser_login(page, live_server, seat.username)
    page.goto(f"{live_server.url}{reverse('cases:new')}")
    page.wait_for_selector("#map.ready")
    page.locator("#phone").fill("13812345678")
    page.locator("#category-search").fill("房屋安全")
    page.locator("#title").fill("墙体开裂(附照片)")
    page.locator("#address").fill("幸福小区五单元")
    # A file of a type the platform does not take is refused before anything is sent.
    page.locator("#files").set_input_files(
        [{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 40}]
    )
    assert "类型不支持" in page.locator("#file-error").inner_text()
    page.locator("#title").press("Control+Enter")
    page.wait_for_selector("#intake-error:not([hidden])")
    assert "附件有误" in page.locator("#intake-error").inner_text()
    assert not Case.objects.filter(title="墙体开裂(附照片)").exists()
    page.locator("#files").set_input_files(
        [{"name": "现场照片.png", "mimeType": "image/png", "buffer": photo}]
    )
    assert (
        page.locator("#file-error").inner_text() == ""
        and "现场照片.png" in page.locator("#file-list").inner_text()
    )
    page.screenshot(path=shot("cases-intake-attachment"), full_page=True)
    page.locator("#title").press("Control+Enter")
    page.wait_for_selector("#done:not([hidden])")
    number = page.locator("#new-number").inner_text()
    case = Case.objects.get(number=number)
    assert [a.name for a in case.attachments.all()] == ["现场照片.png"]

    page.locator("#new-open").click()
    page.wait_for_selector("#attachments img")
    # The thumbnail really loaded (scoped endpoint, same session), on the list and the timeline.
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#attachments img'))"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("#timeline img").count() == 1
    with page.expect_download() as info:
        page.locator("#attachments a.download").first.click()
    download = info.value
    assert download.suggested_filename == "现场照片.png"
    assert Path(download.path()).read_bytes() == photo

    # An act carries a document too: accepting with a PDF shows it on the timeline.
    form = page.locator('form[data-act="accept"]')
    form.locator("textarea[name=note]").fill("已受理,附来电记录")
    form.locator("input[type=file]").set_input_files(
        [{"name": "来电记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%test\n"}]
    )
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.getElementById('case-status').textContent.includes('已受理')")
    assert "来电记录.pdf" in page.locator("#timeline").inner_text()
    assert sorted(a.name for a in Case.objects.get(pk=case.pk).attachments.all()) == [
        "来电记录.pdf",
        "现场照片.png",
    ]
    page.screenshot(path=shot("cases-detail-attachments"), full_page=True)
