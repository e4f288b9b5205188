from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from gridgov.bulk.enums import JobStatus
from gridgov.bulk.models import ImportJob
from gridgov.bulk.registers import ResidentHandler
from gridgov.core.models import AuditAction, AuditLog
from gridgov.registry.models import Address, ChangeRecord, Resident
from tests.bulk.conftest import inside, write_csv

pytestmark = pytest.mark.django_db


def test_an_import_stopped_after_some_batches_resumes_without_duplicates(rows, tmp_path):
    data = [rows.resident() for _ in range(250)]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    args = ["import", "residents", str(path), "--quiet", "--mode", "valid_rows", "--batch-size", "100"]
    call_command(*args, "--stop-after-batches", "1")
    job = ImportJob.objects.get()
    assert (job.status, job.batches_done, Resident.objects.count()) == (JobStatus.RUNNING, 1, 100)
    out = io.StringIO()
    call_command(*args, stdout=out)
    assert "继续导入任务" in out.getvalue()
    job.refresh_from_db()
    assert ImportJob.objects.count() == 1
    assert (job.status, job.batches_done, job.imported_rows, job.error_rows) == (JobStatus.DONE, 3, 250, 0)
    assert Resident.objects.count() == 250
    assert ChangeRecord.objects.filter(batch=str(job.pk)).count() == 3


def test_a_batch_that_dies_before_its_commit_leaves_nothing_and_the_rerun_completes(
    rows, tmp_path, monkeypatch
):
    data = [rows.resident() for _ in range(200)]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    args = ["import", "residents", str(path), "--quiet", "--mode", "all_or_nothing", "--batch-size", "100"]
    original = ResidentHandler.write_rows
    calls = {"n": 0}

    def dies_in_second_batch(self, rows_, written):
        original(self, rows_, written)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as a kill would, after the rows were sent, before COMMIT

    monkeypatch.setattr(ResidentHandler, "write_rows", dies_in_second_batch)
    with pytest.raises(KeyboardInterrupt):
        call_command(*args)
    assert Resident.objects.count() == 100
    monkeypatch.setattr(ResidentHandler, "write_rows", original)
    call_command(*args)
    job = ImportJob.objects.get()
    assert (job.status, job.imported_rows) == (JobStatus.DONE, 200)
    assert Resident.objects.count() == 200
    field = Resident._meta.get_field("id_number")
    assert Resident.objects.filter(id_number_index=field.index_for(data[150]["id_number"])).count() == 1


def test_a_county_leader_cannot_import_into_another_county(rows, world, personas, tmp_path):
    lon, lat = inside(world.far_grid)
    other = rows.resident(community=world.far_grid.community.code, lon=str(lon), lat=str(lat))
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident(), other])
    call_command("import", "residents", str(path), "--quiet", "--mode", "valid_rows", "--user", "cl")
    job = ImportJob.objects.get()
    assert job.actor == personas.county_leader and job.imported_rows == 1
    issue = job.issues.get()
    assert (issue.row, issue.code) == (3, "out_of_scope")
    assert Resident.objects.get().community_id == world.community.pk


def test_a_grid_worker_imports_only_into_the_grids_it_serves(rows, world, personas, tmp_path):
    lon, lat = inside(world.other_grid)
    neighbour = rows.resident(lon=str(lon), lat=str(lat))
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident(), neighbour])
    call_command("import", "residents", str(path), "--quiet", "--mode", "valid_rows", "--user", "gw")
    job = ImportJob.objects.get()
    assert job.imported_rows == 1 and job.issues.get().code == "out_of_scope"


def test_a_department_user_may_not_import(rows, personas, tmp_path):
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident()])
    with pytest.raises(CommandError, match="没有导入登记簿数据的权限"):
        call_command("import", "residents", str(path), "--quiet", "--user", "hh")
    assert ImportJob.objects.count() == 0


def _export(tmp_path, *args: str) -> list[list[str]]:
    out = tmp_path / "out.csv"
    call_command("export", "residents", "-o", str(out), *args, stdout=io.StringIO())
    with open(out, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_an_unprivileged_export_masks_id_numbers_and_phones_and_is_scoped(rows, personas, tmp_path):
    data = [rows.resident() for _ in range(3)]
    call_command("import", "residents", str(write_csv(tmp_path / "r.csv", "residents", data)), "--quiet")
    table = _export(tmp_path, "--user", "gw")
    assert table[0][:3] == ["姓名", "公民身份号码", "联系电话"]
    by_name = sorted(table[1:], key=lambda r: r[1][-4:])
    wanted = sorted(data, key=lambda r: r["id_number"][-4:])
    assert [r[1] for r in by_name] == [d["id_number"][:4] + "*" * 10 + d["id_number"][-4:] for d in wanted]
    assert all("****" in r[2] for r in by_name)
    assert _export(tmp_path, "--user", "ocl")[1:] == []
    with pytest.raises(CommandError, match="无权导出完整个人信息"):
        _export(tmp_path, "--user", "gw", "--unmask", "--reason", "核查")
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()


def test_an_unmasked_export_gives_full_values_and_writes_an_audit_row_with_the_reason(
    rows, personas, tmp_path
):
    data = [rows.resident() for _ in range(3)]
    call_command("import", "residents", str(write_csv(tmp_path / "r.csv", "residents", data)), "--quiet")
    with pytest.raises(CommandError, match="须说明理由"):
        _export(tmp_path, "--user", "cl", "--unmask")
    table = _export(tmp_path, "--user", "cl", "--unmask", "--reason", "人口普查核对")
    assert sorted(r[1] for r in table[1:]) == sorted(d["id_number"] for d in data)
    assert sorted(r[2] for r in table[1:]) == sorted(d["phone"] for d in data)
    log = AuditLog.objects.get(action=AuditAction.UNMASK)
    assert log.actor == personas.county_leader
    assert log.detail["reason"] == "人口普查核对" and log.detail["rows"] == 3


def test_an_xlsx_export_is_an_import_file_whose_rows_are_all_already_there(rows, tmp_path):
    data = [rows.resident() for _ in range(4)]
    call_command("import", "residents", str(write_csv(tmp_path / "r.csv", "residents", data)), "--quiet")
    out = tmp_path / "all.xlsx"
    call_command("export", "residents", "-o", str(out), "--unmask", "--reason", "迁移", stdout=io.StringIO())
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows())) == 5
    call_command("import", "residents", str(out), "--quiet", "--mode", "valid_rows")
    job = ImportJob.objects.order_by("-pk").first()
    assert job.imported_rows == 0 and job.error_rows == 4
    assert set(job.issues.values_list("code", flat=True)) == {"duplicate_in_database"}
    assert Resident.objects.count() == 4 and Address.objects.count() == 4


def test_an_export_of_one_region_holds_only_its_rows(rows, world, tmp_path):
    lon, lat = inside(world.far_grid)
    there = rows.resident(community=world.far_grid.community.code, lon=str(lon), lat=str(lat))
    data = [rows.resident(), there]
    call_command("import", "residents", str(write_csv(tmp_path / "r.csv", "residents", data)), "--quiet")
    assert len(_export(tmp_path, "--region", world.community.code)) == 2
    assert len(_export(tmp_path, "--region", world.city.code)) == 3
    with pytest.raises(CommandError, match="区划代码 999 不存在"):
        _export(tmp_path, "--region", "999")
