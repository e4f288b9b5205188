"""The import page in headless Chromium: download the template, fill it, upload it, watch the
job's progress, download the error report. Screenshots go to /tmp/ for review."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from gridgov.bulk.models import ImportJob
from gridgov.registry.models import Resident
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(name: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{name}.png"


def test_a_county_leader_imports_a_filled_template_and_downloads_the_error_report(
    _city, live_server, page, personas, rows, tmp_path
):
    browser_login(page, live_server, personas.county_leader.username)
    page.goto(f"{live_server.url}{reverse('bulk:index')}")
    page.screenshot(path=str(shot("bulk-index")), full_page=True)
    with page.expect_download() as got:
        page.locator('[data-template="residents-xlsx"]').click()
    template = tmp_path / "template.xlsx"
    got.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["姓名*", "公民身份号码*"]
    good, bad = rows.resident(), rows.resident()
    bad["id_number"] = bad["id_number"][:17] + ("0" if bad["id_number"][17] != "0" else "1")
    keys = [
        "name",
        "id_number",
        "phone",
        "kind",
        "household_no",
        "relation",
        "community",
        "road",
        "number",
        "building",
        "unit",
        "room",
        "lon",
        "lat",
    ]
    for person in (good, bad):
        sheet.append([person[k] for k in keys])
    book.save(template)

    page.locator("#register").select_option("residents")
    page.get_by_label("只导入有效行").check()
    page.locator("#file").set_input_files(str(template))
    page.locator("#start-import").click()
    page.wait_for_url(lambda url: "/bulk/jobs/" in url)
    assert page.locator("#job-status").inner_text() == "排队中"
    job = ImportJob.objects.get()
    # The worker runs the queued task, as `gridgov worker` would.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector("#report-xlsx", timeout=15_000)  # htmx polled, saw the end, reloaded
    assert page.locator("#count-imported").inner_text() == "2"
    assert page.locator("#count-errors").inner_text() == "1"
    assert "校验位错误" in page.locator("#issues").inner_text()
    page.screenshot(path=str(shot("bulk-job")), full_page=True)
    with page.expect_download() as got:
        page.locator("#report-csv").click()
    report = tmp_path / "report.csv"
    got.value.save_as(report)
    with open(report, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["行号", "列", "值(已脱敏)", "错误代码", "说明"]
    assert table[1][:4] == [
        "4",
        "公民身份号码",
        bad["id_number"][:4] + "*" * 10 + bad["id_number"][-4:],
        "id_number_checksum",
    ]
    job.refresh_from_db()
    # The template's own example row imported too: it names a place of the leader's county.
    assert job.imported_rows == 2 and Resident.objects.count() == 2
