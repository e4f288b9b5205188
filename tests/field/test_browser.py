"""The phone app in headless Chromium on a phone-sized screen (390×844, touch), its GPS fixed
inside the worker's grid: a case reported with no signal arrives once when the signal returns,
also when the first answer is lost and the item is sent again; a key-person visit with check-in
lands in the ledger once; a joint patrol's track reaches the server. Screenshots in /tmp/."""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest

from gridgov.cases.enums import Channel
from gridgov.cases.models import Case
from gridgov.field.models import Patrol
from gridgov.registry.models import Visit
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The service worker's registration, or "timeout": an evaluate has no timeout of its own.
SW_READY = """Promise.race([
  navigator.serviceWorker.ready.then((r) => r.scope),
  new Promise((resolve) => setTimeout(() => resolve("timeout"), 30000)),
])"""


def wait_js(page, expression: str, seconds: float = 30) -> None:
    """Until an async expression is truthy: wait_for_function does not await a promise."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(200)


def shot(name: str) -> str:
    return str(Path(tempfile.gettempdir()) / f"{name}.png")


def open_app(page, live_server, username: str = "gw") -> None:
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/field/")
    page.wait_for_selector("#field.ready")
    page.wait_for_selector("#report-category option[value='0101']", state="attached")


def outbox_count(page) -> str:
    return page.locator("#outbox-count").get_attribute("data-count") or ""


def wait_outbox_empty(page) -> None:
    page.wait_for_function("document.getElementById('outbox-count').dataset.count === '0'", timeout=20000)


def report(page, text: str) -> None:
    page.get_by_role("tab", name="上报").click()
    page.select_option("#report-category", "0101")
    page.fill("#report-text", text)
    page.get_by_role("button", name="提交上报").click()


def cases_reported(world, personas, text: str):
    return Case.objects.filter(channel=Channel.GRID_WORKER, created_by=personas.grid_worker, description=text)


def test_a_grid_worker_reports_a_case_offline_sees_it_waiting_and_it_exists_once_when_back_online(
    _city, live_server, phone, personas, world
):
    open_app(phone, live_server)
    phone.context.set_offline(True)
    phone.wait_for_function("document.getElementById('net-state').textContent.includes('离线')")
    report(phone, "村口桥面护栏断裂,行人有坠落危险")
    phone.wait_for_function("document.getElementById('outbox-count').dataset.count === '1'")
    assert "联网后自动发送" in phone.locator("#report-done").inner_text()
    phone.get_by_role("tab", name="待发送").click()
    assert "事件上报" in phone.locator("#outbox-list").inner_text()
    phone.screenshot(path=shot("field-offline-outbox"), full_page=True)
    assert not cases_reported(world, personas, "村口桥面护栏断裂,行人有坠落危险").exists()

    phone.context.set_offline(False)
    wait_outbox_empty(phone)
    cases = cases_reported(world, personas, "村口桥面护栏断裂,行人有坠落危险")
    assert cases.count() == 1
    case = cases.get()
    # Placed by the phone's GPS in the worker's own grid, with the address the grid suggested.
    assert case.grid_id == world.grid.pk
    assert world.grid.name in case.address
    phone.wait_for_function("document.getElementById('report-done').textContent.includes('事件编号')")
    assert case.number in phone.locator("#report-done").inner_text()
    assert not phone.errors, phone.errors


def test_a_case_whose_answer_was_lost_is_sent_again_after_a_reload_and_still_exists_once(
    _city, live_server, phone, personas, world
):
    open_app(phone, live_server)
    lost = {"n": 0, "on": True}

    def lose_answers(route):
        if route.request.method == "POST" and lost["on"]:
            lost["n"] += 1
            route.fetch()  # the server records the case (or answers the one it has) …
            route.abort("connectionreset")  # … and the phone never hears back
        else:
            route.continue_()

    phone.route("**/api/v1/cases", lose_answers)
    report(phone, "小区东门消防栓漏水")
    phone.get_by_role("tab", name="待发送").click()
    phone.wait_for_function("document.getElementById('outbox-list').textContent.includes('已尝试')")
    assert outbox_count(phone) == "1"
    assert cases_reported(world, personas, "小区东门消防栓漏水").count() == 1

    lost["on"] = False
    phone.reload()  # the worker reloads; the app sends what is waiting with the same key
    phone.wait_for_selector("#field.ready")
    wait_outbox_empty(phone)
    assert lost["n"] >= 1
    assert cases_reported(world, personas, "小区东门消防栓漏水").count() == 1


def test_a_key_person_visit_with_check_in_made_offline_lands_in_the_ledger_once(
    _city, live_server, phone, personas, world, key_person
):
    open_app(phone, live_server)
    phone.wait_for_selector(f"#visit-list li[data-key-person='{key_person.pk}']")
    assert "已逾期" in phone.locator("#visit-list").inner_text()
    phone.context.set_offline(True)
    phone.locator(f"#visit-list li[data-key-person='{key_person.pk}'] button").click()
    assert phone.locator("#kp-form").is_visible() and not phone.locator("#hh-form").is_visible()
    phone.fill("#kp-findings", "本人在家,情绪稳定,按时报到")
    phone.select_option("#kp-status", "in_control")
    phone.locator("#kp-form").get_by_role("button", name="签到并保存走访").click()
    phone.wait_for_function("document.getElementById('outbox-count').dataset.count === '1'")
    phone.screenshot(path=shot("field-visit-offline"), full_page=True)
    assert not Visit.objects.exists()

    phone.context.set_offline(False)
    wait_outbox_empty(phone)
    visit = Visit.objects.get()
    assert visit.key_person_id == key_person.pk and visit.visitor_id == personas.grid_worker.pk
    assert visit.findings == "本人在家,情绪稳定,按时报到"
    assert visit.lon is not None and visit.lat is not None  # the check-in position
    key_person.refresh_from_db()
    assert key_person.last_visit_at == visit.visited_at
    # The ledger's duty moved on: the person is no longer overdue in the worker's tasks.
    phone.wait_for_function(
        f"!document.querySelector(\"#visit-list li[data-key-person='{key_person.pk}'] .overdue\")"
    )
    assert not phone.errors, phone.errors


def test_a_joint_patrol_started_and_stopped_in_the_app_reaches_the_server_with_its_track(
    _city, live_server, phone, personas, world, police
):
    from tests.field.conftest import inside

    open_app(phone, live_server)
    phone.get_by_role("tab", name="巡查").click()
    phone.select_option("#patrol-police", str(police.pk))
    phone.get_by_role("button", name="开始巡查").click()
    phone.wait_for_selector("#patrol-active:not([hidden])")
    assert not phone.locator("#patrol-start").is_visible()  # one button at a time
    lon, lat = inside(world.grid)
    for i in range(1, 4):
        phone.context.set_geolocation({"longitude": lon + 0.0005 * i, "latitude": lat, "accuracy": 5})
        phone.wait_for_function(f"Number(document.getElementById('patrol-points').textContent) >= {i + 1}")
    phone.fill("#hazard-title", "电动车楼道充电")
    phone.locator("#hazard-form").get_by_role("button", name="记录隐患").click()
    phone.get_by_role("button", name="结束巡查").click()
    wait_outbox_empty(phone)
    patrol = Patrol.objects.get()
    assert patrol.status == "done" and patrol.police_id == police.pk
    assert patrol.point_count >= 4
    assert patrol.distance_m > 100  # three steps of 0.0005° of longitude: about 135 m
    assert patrol.hazards.get().hazard.title == "电动车楼道充电"
    done = f"#patrol-list li[data-patrol='{patrol.client_key}']"
    phone.wait_for_function(f"(document.querySelector(\"{done}\") || {{}}).textContent?.includes('已结束')")
    assert phone.locator("#patrol-start").is_visible() and not phone.locator("#patrol-active").is_visible()
    phone.screenshot(path=shot("field-patrol"), full_page=True)
    assert not phone.errors, phone.errors


def test_a_planned_patrol_shows_in_my_tasks_and_one_tap_starts_it_and_marks_it_done(
    _city, live_server, phone, personas, world, police
):
    from gridgov.core import clock
    from gridgov.field.models import PatrolPlan
    from gridgov.field.services import patrol_plan_create

    now = clock.now()
    plan = patrol_plan_create(
        actor=personas.grid_head, grid_code=world.grid.code, worker_id=personas.grid_worker.pk,
        window_start=now - timedelta(minutes=10), window_end=now + timedelta(hours=1),
        police_id=police.pk, now=now,
    )  # fmt: skip
    open_app(phone, live_server)
    item = phone.locator(f"#plan-list li[data-plan='{plan.pk}']")
    item.wait_for()
    assert item.get_attribute("data-state") == "pending"
    assert "未开始" in item.inner_text() and "联勤" in item.inner_text()
    item.get_by_role("button", name="开始巡查").click()
    phone.wait_for_selector("#patrol-active:not([hidden])")
    wait_outbox_empty(phone)
    plan = PatrolPlan.objects.get(pk=plan.pk)
    assert plan.patrol is not None and plan.patrol.police_id == police.pk
    phone.reload()
    phone.wait_for_selector("#field.ready")
    phone.get_by_role("tab", name="任务").click()
    done = phone.locator(f"#plan-list li[data-plan='{plan.pk}'][data-state='done']")
    done.wait_for()
    assert "已完成" in done.inner_text() and done.get_by_role("button").count() == 0
    phone.screenshot(path=shot("field-plan"), full_page=True)
    phone.get_by_role("tab", name="巡查").click()
    phone.get_by_role("button", name="结束巡查").click()
    wait_outbox_empty(phone)
    assert not phone.errors, phone.errors


def test_the_app_is_installable_with_a_manifest_and_a_service_worker_scoped_to_the_app(
    _city, live_server, phone, personas
):
    open_app(phone, live_server)
    scope = phone.evaluate(SW_READY)
    assert scope == f"{live_server.url}/field/"
    # The manifest the page names (its content: tests/field/test_pages.py; fetched here, a
    # request beside the app's own queue would only race it for the session row).
    assert phone.locator("link[rel=manifest]").get_attribute("href") == "/field/manifest.webmanifest"


def test_the_app_opens_with_no_signal_from_the_kept_shell_and_shows_the_tasks_it_kept(
    _city, live_server, phone, personas, world
):
    from tests.field.conftest import open_case

    case = open_case(world, personas, title="公厕无人保洁")
    open_app(phone, live_server)
    phone.wait_for_selector(f"#verify-list li[data-number='{case.number}']")
    assert phone.evaluate(SW_READY).endswith("/field/")
    # The shell itself and the static files the page named are kept.
    wait_js(phone, "caches.match('/field/').then((r) => !!r)")
    wait_js(
        phone,
        "caches.match(JSON.parse(document.getElementById('shell-assets').textContent)[2]).then((r) => !!r)",
    )
    phone.context.set_offline(True)
    phone.reload()
    phone.wait_for_selector("#field.ready")
    assert "离线" in phone.locator("#net-state").inner_text()
    assert case.number in phone.locator("#verify-list").inner_text()
    assert "离线,显示" in phone.locator("#tasks-as-of").inner_text()
    # Verify with no signal: the act waits in the outbox and is applied once back online.
    phone.locator(f"#verify-list li[data-number='{case.number}'] button").click()
    phone.fill("#act-note", "现场核实属实")
    phone.locator("#act-submit").click()
    phone.wait_for_function("document.getElementById('outbox-count').dataset.count === '1'")
    phone.context.set_offline(False)
    wait_outbox_empty(phone)
    case.refresh_from_db()
    assert case.status == "verified"
    assert case.events.filter(action="verify").count() == 1
