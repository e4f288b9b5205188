"""The registry pages in headless Chromium: the grid profile with its map, and a leader's
search → unmask with a stated reason. Screenshots land in /tmp/ for review."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from gridgov.core.models import AuditAction, AuditLog
from tests.conftest import browser_login
from tests.registry.conftest import inside, make_key_person, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(name: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{name}.png"


def test_a_grid_worker_opens_its_grid_profile_with_people_key_persons_hazards_and_the_map(
    _city, live_server, page, personas, world
):
    from gridgov.core import clock
    from gridgov.registry import services

    resident = make_resident(personas.grid_worker, world, name="周大勇")
    make_key_person(personas.grid_worker, resident, worker=personas.grid_worker)
    lon, lat = inside(world.grid)
    services.hazard_create(
        actor=personas.grid_worker, title="楼道电动车充电", lon=lon, lat=lat, now=clock.now()
    )
    services.facility_save(
        actor=personas.grid_worker, code="T-0001", category="0110", lon=lon, lat=lat, now=clock.now()
    )
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, live_server, personas.grid_worker.username)
    response = page.goto(f"{live_server.url}/registry/grid/{world.grid.code}/")
    assert response.status == 200, page.content()[:3000]
    page.wait_for_selector("#profile-map.ready")
    assert not errors, errors
    assert page.locator("#profile-map").get_attribute("data-point-count") == "2"
    assert "周大勇" in page.locator("#profile-key-persons").inner_text()
    assert "楼道电动车充电" in page.inner_text("main")
    page.screenshot(path=shot("registry-grid-profile"), full_page=True)


def test_a_leader_searches_by_id_number_and_unmasks_with_a_stated_reason(
    _city, live_server, page, personas, world
):
    resident = make_resident(personas.grid_worker, world, name="吴小芳", phone="13912340000")
    browser_login(page, live_server, personas.county_leader.username)
    page.goto(f"{live_server.url}/registry/search/")
    page.locator("#search-form input[name=q]").fill(resident.id_number)
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-results")
    assert "身份证号精确" in page.locator("#read-as").inner_text()
    results = page.locator("#search-results").inner_text()
    assert "吴小芳" in results and resident.id_number not in results
    page.get_by_role("link", name="吴小芳").click()
    page.wait_for_selector("#unmask-form")
    assert resident.id_number not in page.inner_text("#fields")
    # No reason: refused, nothing shown, nothing audited.
    page.locator("#unmask-form button").click()
    page.wait_for_selector("#unmask .field-error")
    assert resident.id_number not in page.inner_text("#fields")
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()
    page.locator("#unmask-form input[name=reason]").fill("核实低保申请人身份")
    page.locator("#unmask-form button").click()
    page.wait_for_selector("#unmask .notice")
    fields = page.inner_text("#fields")
    assert resident.id_number in fields and "13912340000" in fields
    page.screenshot(path=shot("registry-unmasked"), full_page=True)
    row = AuditLog.objects.get(action=AuditAction.UNMASK)
    assert row.actor_id == personas.county_leader.pk and row.detail["reason"] == "核实低保申请人身份"
