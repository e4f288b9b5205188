"""Batches written on a second connection while the next is prepared (PostgreSQL), and the
registers' lean index set. transaction=True: the writer thread's connection must see what the
test wrote, so the test's rows are committed (on SQLite the same tests run the plain path)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from gridgov.bulk.enums import JobStatus
from gridgov.bulk.models import ImportJob
from gridgov.bulk.registers import ResidentHandler
from gridgov.registry.models import Address, ChangeRecord, Resident
from tests.bulk.conftest import write_csv

pytestmark = pytest.mark.django_db(transaction=True)


def _args(path, *extra: str) -> list[str]:
    return [
        "import",
        "residents",
        str(path),
        "--quiet",
        "--mode",
        "valid_rows",
        "--batch-size",
        "100",
        *extra,
    ]


def test_households_split_across_batches_share_one_address_and_its_grid(rows, world, tmp_path):
    data = []
    for h in range(110):
        # Three people a household, the last without coordinates: it takes the grid of its
        # address, which an earlier row (often of the previous batch) has just created.
        at = {"road": "庆阳路", "number": str(h + 1), "building": "1", "unit": "1", "room": "101"}
        data += [rows.resident(**at), rows.resident(**at), rows.resident(**at, lon="", lat="")]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    call_command(*_args(path))
    job = ImportJob.objects.get()
    assert (job.status, job.imported_rows, job.error_rows, job.batches_done) == (JobStatus.DONE, 330, 0, 4)
    assert (job.addresses_created, job.ungridded_rows) == (110, 0)
    assert Address.objects.filter(road="庆阳路").count() == 110
    assert Resident.objects.count() == 330
    assert Resident.objects.filter(grid=world.grid).count() == 330
    for address in Address.objects.filter(road="庆阳路"):
        assert address.residents.count() == 3
    assert ChangeRecord.objects.filter(batch=str(job.pk)).count() == 4


def test_a_twin_in_a_later_batch_is_reported_against_the_first_row(rows, tmp_path):
    data = [rows.resident() for _ in range(180)]
    data.append(dict(data[10]))
    path = write_csv(tmp_path / "r.csv", "residents", data)
    call_command(*_args(path))
    job = ImportJob.objects.get()
    assert (job.imported_rows, job.error_rows) == (180, 1)
    issue = job.issues.get()
    assert (issue.row, issue.code) == (182, "duplicate_in_file")
    assert "第 12 行" in issue.message


def test_a_batch_failing_on_the_writer_leaves_the_committed_ones_and_the_rerun_completes(
    rows, tmp_path, monkeypatch
):
    data = [rows.resident() for _ in range(300)]
    path = write_csv(tmp_path / "r.csv", "residents", data)
    original = ResidentHandler.write_rows
    calls = {"n": 0}

    def fails_in_second_batch(self, rows_, written):
        original(self, rows_, written)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the server went away")  # after the rows were sent, before COMMIT

    monkeypatch.setattr(ResidentHandler, "write_rows", fails_in_second_batch)
    with pytest.raises(RuntimeError):
        call_command(*_args(path))
    assert Resident.objects.count() == 100
    assert ImportJob.objects.get().batches_done == 1
    monkeypatch.setattr(ResidentHandler, "write_rows", original)
    call_command(*_args(path))
    job = ImportJob.objects.get()
    assert (job.status, job.imported_rows, job.batches_done) == (JobStatus.DONE, 300, 3)
    assert Resident.objects.count() == 300


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def test_the_resident_table_keeps_only_the_indexes_its_reads_use():
    found = _indexes("registry_resident")
    indexed = [tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"]]
    # No varchar_pattern_ops twin (PostgreSQL) and no single-column community / grid index
    # beside the composites that lead with them.
    assert not [name for name in found if name.endswith("_like")]
    assert ("community_id",) not in indexed and ("grid_id",) not in indexed
    assert ("community_id", "kind") in indexed and ("grid_id", "kind") in indexed
    unique = [tuple(c["columns"]) for c in found.values() if c["unique"] and not c["primary_key"]]
    assert unique == [("id_number_index",)]
    for column in ("name", "phone_index", "household_no", "address_id"):
        assert (column,) in indexed


def test_addresses_and_organizations_keep_their_unique_keys_without_twins():
    for table, key in (("registry_address", "key"), ("registry_organization", "usc_code")):
        found = _indexes(table)
        assert not [name for name in found if name.endswith("_like")]
        unique = [tuple(c["columns"]) for c in found.values() if c["unique"] and not c["primary_key"]]
        assert unique == [(key,)]
