"""The bulk pages through Django's test client: refusals are clear 4xx that queue nothing."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from gridgov.bulk.models import ImportJob
from gridgov.core.models import AuditAction, AuditLog
from tests.bulk.conftest import write_csv

pytestmark = pytest.mark.django_db


def _login(client, user) -> None:
    client.force_login(user)


def test_the_template_has_a_chinese_header_and_an_example_row_in_the_users_area(client, personas, world):
    _login(client, personas.grid_worker)
    response = client.get(reverse("bulk:template", args=["residents", "xlsx"]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    header, example = [[c.value for c in r] for r in sheet.iter_rows(max_row=2)]
    assert header[:4] == ["姓名*", "公民身份号码*", "联系电话", "人口类型*"]
    assert example[header.index("所属社区*")] == world.grid.community.code
    text = client.get(reverse("bulk:template", args=["organizations", "csv"])).content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("统一社会信用代码*,单位名称*,单位类型*")


def test_an_upload_of_the_wrong_kind_is_a_422_in_chinese_and_queues_nothing(client, personas):
    _login(client, personas.county_leader)
    response = client.post(
        reverse("bulk:upload"),
        {"register": "residents", "mode": "valid_rows", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 422
    assert "不支持的文件类型" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_upload_queues_a_job_that_only_its_owner_sees(client, personas, rows, tmp_path):
    _login(client, personas.county_leader)
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident()])
    response = client.post(
        reverse("bulk:upload"),
        {
            "register": "residents",
            "mode": "valid_rows",
            "file": SimpleUploadedFile("r.csv", path.read_bytes()),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("bulk:job", args=[job.pk])
    assert job.status == "queued" and job.actor == personas.county_leader and job.total_rows == 1
    assert client.get(reverse("bulk:progress", args=[job.pk])).status_code == 200
    _login(client, personas.township_dispatcher)
    assert client.get(reverse("bulk:job", args=[job.pk])).status_code == 404


def test_the_export_page_masks_for_a_grid_worker_and_refuses_to_unmask(client, personas, rows, tmp_path):
    call_command(
        "import", "residents", str(write_csv(tmp_path / "r.csv", "residents", [rows.resident()])), "--quiet"
    )
    _login(client, personas.grid_worker)
    response = client.post(reverse("bulk:export"), {"register": "residents", "format": "csv"})
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(table) == 2 and "**********" in table[1][1]
    refused = client.post(
        reverse("bulk:export"), {"register": "residents", "format": "csv", "unmask": "1", "reason": "核查"}
    )
    assert refused.status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()


def test_an_upload_with_the_wrong_header_is_a_422_and_leaves_no_file_behind(client, personas, settings):
    _login(client, personas.county_leader)
    response = client.post(
        reverse("bulk:upload"),
        {
            "register": "residents",
            "mode": "valid_rows",
            "file": SimpleUploadedFile("r.csv", "编号,名称\r\n1,甲\r\n".encode()),
        },
    )
    assert response.status_code == 422
    assert ImportJob.objects.count() == 0
    # The file went to storage before its header was read; the refusal removed it again.
    stored = settings.MEDIA_ROOT / "bulk"
    assert not stored.exists() or not [p for p in stored.rglob("*") if p.is_file()]
