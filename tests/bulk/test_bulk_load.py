"""The bulk-load path (PostgreSQL): one transaction, secondary indexes and foreign keys set aside
and built again (docs/decisions/0005-bulk-load.md). The catalogue is compared before and after:
the same indexes and constraints, under the same names, with the same definitions."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.bulk import pipeline
from gridgov.bulk.enums import JobStatus, LoadMode
from gridgov.bulk.models import ImportJob
from gridgov.bulk.registers import ResidentHandler
from gridgov.registry.models import Address, ChangeRecord, Resident
from tests.bulk.conftest import write_csv

TABLES = ("registry_resident", "registry_address")


# The bulk-load path is PostgreSQL's (SQLite: test_a_forced_bulk_load_is_refused_on_sqlite).
pytestmark = pytest.mark.postgres


def _catalogue() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Every index of the tables, every constraint of them or pointing at them, and every
    column's default (a bulk load makes its constants the defaults meanwhile)."""
    with connection.cursor() as c:
        c.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [list(TABLES)],
        )
        indexes = c.fetchall()
        c.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), convalidated,"
            " condeferrable, condeferred FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(TABLES), list(TABLES)],
        )
        constraints = c.fetchall()
        c.execute(
            "SELECT table_name, column_name, column_default FROM information_schema.columns"
            " WHERE table_name = ANY(%s) ORDER BY 1, 2",
            [list(TABLES)],
        )
        defaults = c.fetchall()
    return indexes, constraints, defaults


def _args(path, *extra: str) -> list[str]:
    return ["import", "residents", str(path), "--quiet", "--batch-size", "100", *extra]


def test_a_bulk_load_imports_every_row_and_puts_back_every_index_and_foreign_key(rows, tmp_path):
    before = _catalogue()
    assert any(name == "registry_res_phone_idx" for _, name, _ in before[0])
    assert any(kind == "f" for _, _, kind, *_ in before[1])
    # One resident already in the register: its twin in the file is refused, the index of the
    # blind index stays in place during the load for exactly that lookup.
    first = rows.resident()
    call_command(*_args(write_csv(tmp_path / "one.csv", "residents", [first]), "--load", "incremental"))
    data = [rows.resident() for _ in range(240)]
    data[5] = dict(first)
    data[7]["id_number"] = data[7]["id_number"][:-1] + ("0" if data[7]["id_number"][-1] != "0" else "1")
    data.append(dict(data[20]))  # a twin within the file, in a later batch
    path = write_csv(tmp_path / "r.csv", "residents", data)
    call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    assert (job.status, job.imported_rows, job.error_rows, job.batches_done) == (JobStatus.DONE, 238, 3, 3)
    assert "整体装载" in job.message
    codes = sorted(job.issues.values_list("row", "code"))
    assert codes == [(7, "duplicate_in_database"), (9, "id_number_checksum"), (242, "duplicate_in_file")]
    assert Resident.objects.count() == 239
    assert ChangeRecord.objects.filter(batch=str(job.pk)).count() == 3
    # Sealed as the model reads it, placed in its grid, at its address.
    index_for = Resident._meta.get_field("id_number").index_for
    someone = Resident.objects.get(id_number_index=index_for(data[100]["id_number"]))
    assert someone.id_number == data[100]["id_number"] and someone.phone == data[100]["phone"]
    assert someone.grid_id is not None and someone.address is not None
    assert someone.address.road == "张掖路"
    # The columns the same in every row, left to the tables' defaults during the load.
    same = (someone.id_type, someone.source, someone.nationality, someone.note)
    assert same == ("id_card", "imported", "", "")
    assert someone.created_at == someone.updated_at == someone.address.created_at
    assert someone.address.source == "imported"
    assert _catalogue() == before
    assert all(default is None or "nextval" in default for *_, default in before[2])


def test_a_bulk_load_in_all_or_nothing_mode_checks_first_and_writes_nothing_when_a_row_is_bad(rows, tmp_path):
    before = _catalogue()
    data = [rows.resident() for _ in range(150)]
    data[60]["kind"] = "游客"
    path = write_csv(tmp_path / "r.csv", "residents", data)
    with pytest.raises(CommandError):
        call_command(*_args(path, "--load", "rebuild"))
    assert ImportJob.objects.get().status == JobStatus.REJECTED
    assert Resident.objects.count() == 0
    assert _catalogue() == before


def test_a_forced_bulk_load_is_refused_for_a_job_that_has_committed_batches(rows, tmp_path):
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident() for _ in range(250)])
    call_command(*_args(path, "--mode", "valid_rows", "--stop-after-batches", "1"))
    with pytest.raises(CommandError, match="逐批"):
        call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
    call_command(*_args(path, "--mode", "valid_rows"))  # auto: continues batch by batch
    job = ImportJob.objects.get()
    assert (job.status, job.imported_rows, job.batches_done) == (JobStatus.DONE, 250, 3)


def test_auto_chooses_the_bulk_load_only_for_a_file_large_beside_the_register(rows, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident() for _ in range(120)])
    call_command(*_args(path, "--mode", "valid_rows"))
    job = ImportJob.objects.get()
    assert "整体装载" not in job.message  # 120 rows: far below REBUILD_MIN_ROWS
    assert pipeline.load_chosen(job, LoadMode.AUTO) == LoadMode.INCREMENTAL
    monkeypatch.setattr(pipeline, "REBUILD_MIN_ROWS", 100)
    job.batches_done = 0
    with connection.cursor() as c:
        c.execute("ANALYZE registry_resident")
    assert pipeline.load_chosen(job, LoadMode.AUTO) == LoadMode.REBUILD  # 120 ≥ 0.5 × 120 rows
    job.total_rows = 50
    assert pipeline.load_chosen(job, LoadMode.AUTO) == LoadMode.INCREMENTAL
    assert pipeline.load_chosen(job, LoadMode.INCREMENTAL) == LoadMode.INCREMENTAL


def test_a_load_whose_rows_break_a_foreign_key_fails_at_the_rebuild_and_leaves_nothing(
    rows, tmp_path, monkeypatch
):
    before = _catalogue()
    path = write_csv(tmp_path / "r.csv", "residents", [rows.resident() for _ in range(150)])
    original = ResidentHandler.write_rows

    def writes_a_dangling_grid(self_, rows_, written):
        original(self_, rows_, written)
        with connection.cursor() as c:
            # Accepted while the foreign key is set aside; its check at the end refuses it.
            c.execute(
                "UPDATE registry_resident SET grid_id = 2147483000"
                " WHERE id = (SELECT max(id) FROM registry_resident)"
            )

    monkeypatch.setattr(ResidentHandler, "write_rows", writes_a_dangling_grid)
    with pytest.raises(CommandError):
        call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED and job.batches_done == 0
    assert "整体回滚" in job.message and "registry_resident_grid_id" in job.message
    assert Resident.objects.count() == 0 and not job.issues.exists()
    assert _catalogue() == before


@pytest.mark.django_db(transaction=True)
class TestCommitted:
    """Through real top-level transactions: the load's own COMMIT or ROLLBACK, and the progress
    written on a second connection meanwhile."""

    def test_a_failure_midway_leaves_the_tables_and_their_indexes_as_they_were(
        self, rows, tmp_path, monkeypatch
    ):
        old = write_csv(tmp_path / "old.csv", "residents", [rows.resident() for _ in range(30)])
        call_command(*_args(old, "--load", "incremental"))
        before = _catalogue()
        addresses = Address.objects.count()
        data = [rows.resident() for _ in range(300)]
        path = write_csv(tmp_path / "r.csv", "residents", data)
        original = ResidentHandler.write_rows
        calls = {"n": 0}

        def fails_in_second_batch(self_, rows_, written):
            original(self_, rows_, written)
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("the server went away")

        monkeypatch.setattr(ResidentHandler, "write_rows", fails_in_second_batch)
        with pytest.raises(RuntimeError):
            call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
        assert Resident.objects.count() == 30 and Address.objects.count() == addresses
        assert _catalogue() == before
        job = ImportJob.objects.order_by("-pk").first()
        assert job is not None
        # Nothing of the run stayed, and the counters the page showed were taken back.
        assert (job.status, job.batches_done, job.imported_rows, job.issues.count()) == (
            JobStatus.RUNNING,
            0,
            0,
            0,
        )
        monkeypatch.setattr(ResidentHandler, "write_rows", original)
        call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))  # resumes: starts over
        job.refresh_from_db()
        assert ImportJob.objects.count() == 2
        assert (job.status, job.imported_rows, job.batches_done) == (JobStatus.DONE, 300, 3)
        assert Resident.objects.count() == 330
        assert _catalogue() == before

    def test_a_stopped_load_rolls_back_and_its_progress_was_visible_outside_meanwhile(self, rows, tmp_path):
        before = _catalogue()
        path = write_csv(tmp_path / "r.csv", "residents", [rows.resident() for _ in range(250)])
        seen: list[int] = []
        original = pipeline._after_batch

        def watch(job, done_here, progress, stop):
            if done_here == 2:
                # What the page reads: the job row, through a connection of its own.
                def read() -> None:
                    for _ in range(200):
                        n = ImportJob.objects.get(pk=job.pk).imported_rows
                        if n == 200:
                            break
                        threading.Event().wait(0.02)
                    seen.append(n)
                    connection.close()

                t = threading.Thread(target=read)
                t.start()
                t.join()
            original(job, done_here, progress, stop)

        pipeline._after_batch = watch
        try:
            call_command(
                *_args(path, "--mode", "valid_rows", "--load", "rebuild", "--stop-after-batches", "2")
            )
        finally:
            pipeline._after_batch = original
        assert seen == [200]
        assert Resident.objects.count() == 0  # stopped as a kill would: all rolled back
        assert _catalogue() == before
        call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
        job = ImportJob.objects.get()
        assert (job.status, job.imported_rows, job.error_rows) == (JobStatus.DONE, 250, 0)
        assert Resident.objects.count() == 250


def test_a_bulk_load_into_empty_tables_shares_addresses_across_batches(rows, world, tmp_path):
    """Into empty tables the unique constraints are set aside too (the load refuses its own
    twins) and built again: the catalogue ends as it began."""
    assert not Resident.objects.exists() and not Address.objects.exists()
    before = _catalogue()
    assert {"registry_res_idnum_uniq", "registry_addr_key_uniq"} <= {name for _, name, *_ in before[1]}
    data = []
    for h in range(110):
        # Three people a household, the last without coordinates: it takes the grid of the
        # address an earlier row (often of the previous batch) created in this same load.
        at = {"road": "庆阳路", "number": str(h + 1), "building": "1", "unit": "1", "room": "101"}
        data += [rows.resident(**at), rows.resident(**at), rows.resident(**at, lon="", lat="")]
    data.append(dict(data[4]))  # a twin within the file: the empty register is not asked
    path = write_csv(tmp_path / "r.csv", "residents", data)
    call_command(*_args(path, "--mode", "valid_rows", "--load", "rebuild"))
    job = ImportJob.objects.get()
    assert (job.status, job.imported_rows, job.error_rows, job.batches_done) == (JobStatus.DONE, 330, 1, 4)
    assert (job.addresses_created, job.ungridded_rows) == (110, 0)
    assert job.issues.get().code == "duplicate_in_file"
    assert Address.objects.count() == 110
    assert Resident.objects.filter(grid=world.grid).count() == 330
    for address in Address.objects.all():
        assert address.residents.count() == 3
    assert _catalogue() == before
