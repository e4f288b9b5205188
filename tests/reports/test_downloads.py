"""The DOCX, PDF and XLSX files open and carry the report: parsed with python-docx and openpyxl;
the PDF's text extracted by poppler's pdftotext, independent of reportlab that wrote it."""

from __future__ import annotations

import io
import shutil
import subprocess

import openpyxl
import pytest
from django.test import Client
from docx import Document

from gridgov.core import clock
from gridgov.reports.services import report_generate, report_request
from tests.reports.conftest import at, make_case, refresh


@pytest.fixture
def version(world, seat, clock_at):
    clock_at(at(2026, 3, 2, 9))
    for i in range(4):
        make_case(seat, world.grid, title=f"周一事件{i}")
    clock_at(at(2026, 3, 3, 9))
    for i in range(6):
        make_case(seat, world.grid, title=f"周二事件{i}")
    clock_at(at(2026, 3, 4, 8))
    refresh()
    b, _ = report_request(
        actor=seat, kind="daily", region=world.county, day=at(2026, 3, 3).date(), now=clock.now()
    )
    return report_generate(report_id=b.pk, now=clock.now())


def fetch(user, version, fmt: str):
    c = Client()
    c.force_login(user)
    r = c.get(f"/bulletins/{version.report_id}/v{version.number}.{fmt}")
    assert r.status_code == 200
    assert "attachment;" in r["Content-Disposition"]
    return r.content


def test_the_docx_holds_the_text_the_tables_and_the_charts(personas, version):
    doc = Document(io.BytesIO(fetch(personas.county_leader, version, "docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "城关区社会治理工作日报" in text
    assert "共受理各类事件 6 件,环比上升 50.0%" in text
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0][:2] == ["指标", "本期"] and cells[1][:2] == ["受理量", "6"]
    overdue = doc.tables[-1]
    assert len(overdue.rows) == 1 + 10  # all ten are past their contact clock
    assert len(doc.inline_shapes) == version.charts.count() >= 2


def test_the_xlsx_has_one_sheet_per_table_with_numbers_not_text(personas, version):
    wb = openpyxl.load_workbook(io.BytesIO(fetch(personas.county_leader, version, "xlsx")))
    assert wb.sheetnames == ["指标汇总", "事项类别", "超期事件清单"]
    summary = wb["指标汇总"]
    assert [c.value for c in summary[3]][:2] == ["指标", "本期"]
    assert [c.value for c in summary[4]][:4] == ["受理量", 6, "件", 4]
    assert wb["超期事件清单"].max_row == 3 + 10


def test_the_pdf_is_a_real_pdf_with_the_chinese_text_and_an_embedded_font(personas, version):
    pdf = fetch(personas.county_leader, version, "pdf")
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # the TrueType CJK font travels inside the file
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed to read the PDF back"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout
    flat = "".join(text.decode().split())
    assert "城关区社会治理工作日报" in flat
    assert "共受理各类事件6件,环比上升50.0%" in flat
    assert version.data["overdue"][0]["number"] in flat
