from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.bulk.models import ImportJob
from gridgov.bulk.pipeline import import_job_run
from gridgov.core.models import AuditAction, AuditLog
from tests.bulk.conftest import write_csv

pytestmark = pytest.mark.django_db
BASE = "/api/v1/bulk"


def test_an_import_through_the_api_is_queued_run_and_its_issues_listed(client, personas, rows, tmp_path):
    client.force_login(personas.county_leader)
    data = [rows.resident(), rows.resident(kind="外星")]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    response = client.post(
        f"{BASE}/imports",
        {
            "register": "residents",
            "mode": "valid_rows",
            "file": SimpleUploadedFile("r.csv", path.read_bytes()),
        },
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    import_job_run(ImportJob.objects.get(pk=job_id))
    body = client.get(f"{BASE}/imports/{job_id}").json()
    assert (body["status"], body["imported_rows"], body["error_rows"]) == ("done", 1, 1)
    issues = client.get(f"{BASE}/imports/{job_id}/issues").json()
    assert issues["count"] == 1 and issues["items"][0]["row"] == 3
    client.force_login(personas.township_dispatcher)
    assert client.get(f"{BASE}/imports/{job_id}").status_code == 404


def test_a_bad_register_or_file_through_the_api_is_a_422_with_both_languages(client, personas):
    client.force_login(personas.county_leader)
    response = client.post(
        f"{BASE}/imports", {"register": "planets", "file": SimpleUploadedFile("r.csv", b"a,b\n")}
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("未知的登记簿") and " / " in response.json()["message"]
    assert ImportJob.objects.count() == 0


def test_the_api_export_masks_by_default_and_audits_an_unmask(client, personas, rows, tmp_path):
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident()])
    from django.core.management import call_command

    call_command("import", "residents", str(path), "--quiet")
    client.force_login(personas.county_leader)
    masked = list(
        csv.reader(io.StringIO(client.get(f"{BASE}/export/residents.csv").content.decode("utf-8-sig")))
    )
    assert "**********" in masked[1][1]
    assert client.get(f"{BASE}/export/residents.csv?unmask=true").status_code == 422
    full = client.get(f"{BASE}/export/residents.csv?unmask=true&reason=核查户籍")
    assert full.status_code == 200 and "**********" not in full.content.decode("utf-8-sig")
    assert AuditLog.objects.get(action=AuditAction.UNMASK).detail["reason"] == "核查户籍"
