"""Checking the batches in worker processes (bulk/workers.py) changes nothing of the result: the
same rows, addresses, issues and counters as the import in one process, on a file with every
kind of bad row, twins within the file and addresses repeated across batches; and a failing
worker ends the job with its reason and nothing written."""

from __future__ import annotations

import contextlib
import csv
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import JobStatus
from gridgov.bulk.models import ImportJob
from gridgov.bulk.registers import ResidentHandler
from gridgov.registry.models import Address, ChangeRecord, Resident
from tests.bulk.conftest import Rows, inside, write_csv

BATCH = 100


def _file_rows(rows: Rows, world: Any, first: dict[str, str]) -> list[dict[str, str]]:
    """500 rows over 5 batches: addresses from a small set (each seen in many batches), some
    without coordinates, some in the community's second grid, and every kind of bad row."""
    other = inside(world.other_grid)
    far = inside(world.far_grid)
    data = []
    for i in range(500):
        r = rows.resident(number=str(1 + i % 5), building=str(1 + i % 3), room="101")
        if i % 7 == 0:
            r["lon"] = r["lat"] = ""  # placed by a neighbour at the same road and number
        elif i % 11 == 0:
            r["lon"], r["lat"] = str(other[0]), str(other[1])
        data.append(r)
    data[3]["id_number"] = data[3]["id_number"][:-1] + ("0" if data[3]["id_number"][-1] != "0" else "1")
    data[4]["phone"] = "123"
    data[5]["community"] = "999999999999"
    data[6]["name"] = ""
    data[8]["kind"] = "外星人"
    data[9]["lat"] = ""
    data[12]["name"] = "张" * 300
    data[13]["lon"], data[13]["lat"] = str(far[0]), str(far[1])  # a grid of another community
    data[15]["lon"], data[15]["lat"] = "100.0", "30.0"  # in China, in no grid
    data[16]["number"] = "１２号"  # full-width, with its suffix: the slow normal form
    data[17] = dict(first)  # already in the register
    data[20] = {}  # a blank line
    data[250] = dict(data[10])  # a twin within the file, batches later
    data[430] = dict(data[10])
    data[460] = dict(data[17])  # the database's twin again
    return data


def _snapshot(job: ImportJob) -> dict[str, Any]:
    residents = sorted(
        (
            r.name,
            r.id_number,
            r.phone,
            r.kind,
            r.relation,
            r.household_no,
            r.gender,
            r.birth_date,
            r.address.key if r.address is not None else "",
            r.community_id,
            r.grid_id,
        )
        for r in Resident.objects.select_related("address")
    )
    addresses = sorted(
        Address.objects.values_list(
            "key",
            "road",
            "number",
            "building",
            "unit",
            "room",
            "text",
            "grid_id",
            "community_id",
            "lon",
            "lat",
        )
    )
    return {
        "job": (
            job.status,
            job.total_rows,
            job.imported_rows,
            job.error_rows,
            job.ungridded_rows,
            job.addresses_created,
            job.batches_done,
        ),
        # In the order they were recorded: the report reads row by row.
        "issues": list(job.issues.order_by("pk").values_list("row", "column", "value", "code", "message")),
        "residents": residents,
        "addresses": addresses,
        "history": ChangeRecord.objects.filter(batch=str(job.pk)).count(),
    }


def _run(path: Any, *extra: str) -> ImportJob:
    # A job rejected or failed ends the command with an error: the job says which.
    with contextlib.suppress(CommandError):
        call_command("import", "residents", str(path), "--quiet", "--new", "--batch-size", str(BATCH), *extra)
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    return job


def _both(rows: Rows, world: Any, tmp_path: Any, *extra: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same file imported with 1 and with 2 processes, into the same starting register."""
    first = rows.resident()
    _run(write_csv(tmp_path / "first.csv", "residents", [first]), "--mode", "valid_rows")
    keep_resident = set(Resident.objects.values_list("pk", flat=True))
    keep_address = set(Address.objects.values_list("pk", flat=True))
    path = write_csv(tmp_path / "r.csv", "residents", _file_rows(rows, world, first))
    alone = _snapshot(_run(path, "--workers", "1", *extra))
    Resident.objects.exclude(pk__in=keep_resident).delete()
    Address.objects.exclude(pk__in=keep_address).delete()
    shared = _snapshot(_run(path, "--workers", "2", *extra))
    return alone, shared


def test_workers_give_the_same_rows_addresses_and_report_as_one_process(rows, world, tmp_path):
    alone, shared = _both(rows, world, tmp_path, "--mode", "valid_rows", "--load", "incremental")
    assert shared == alone
    status, total, imported, errors, _ungridded, addresses, batches = alone["job"]
    assert (status, total, batches) == (JobStatus.DONE, 499, 5)
    codes = {code for _, _, _, code, _ in alone["issues"]}
    assert {
        "id_number_checksum",
        "bad_phone",
        "community_unknown",
        "required",
        "bad_choice",
        "bad_coordinates",
        "too_long",
        "unresolvable",
        "duplicate_in_file",
        "duplicate_in_database",
    } <= codes
    assert errors == len({row for row, *_ in alone["issues"]}) and imported == total - errors
    # 5 numbers × 3 buildings, and the full-width one, shared across the batches.
    assert addresses == 16 and len(alone["residents"]) == imported + 1
    assert alone["history"] == 5


def test_workers_in_all_or_nothing_mode_reject_with_the_same_report(rows, world, tmp_path):
    alone, shared = _both(rows, world, tmp_path)  # all_or_nothing: the command's default
    assert shared == alone
    assert alone["job"][0] == JobStatus.REJECTED and alone["history"] == 0
    assert len(alone["residents"]) == 1  # only the one imported before


@pytest.mark.postgres
def test_workers_in_a_bulk_load_give_the_same_result(rows, world, tmp_path):
    alone, shared = _both(rows, world, tmp_path, "--mode", "valid_rows", "--load", "rebuild")
    assert shared == alone
    assert alone["job"][0] == JobStatus.DONE and alone["job"][2] > 250


def test_a_worker_that_fails_ends_the_job_with_the_reason_and_writes_nothing(
    rows, world, tmp_path, monkeypatch
):
    """A checker that crashes on one row (here made to, in the parent before the fork, which the
    workers inherit): the job fails naming the rows, and all-or-nothing wrote nothing."""
    original = ResidentHandler.check_row

    def crashing(self: ResidentHandler, n: int, cells: list[str], out: list[Any]) -> Any:
        if n == 150:
            raise ValueError("a checker met something it cannot read")
        return original(self, n, cells, out)

    monkeypatch.setattr(ResidentHandler, "check_row", crashing)
    data = [rows.resident() for _ in range(300)]
    residents, addresses = Resident.objects.count(), Address.objects.count()
    job = _run(write_csv(tmp_path / "r.csv", "residents", data), "--workers", "2")
    assert job.status == JobStatus.FAILED
    assert "检查第 102–201 行时出错" in job.message and "ValueError" in job.message
    assert (Resident.objects.count(), Address.objects.count()) == (residents, addresses)
    assert job.imported_rows == 0


def test_a_worker_may_not_use_the_database(rows, tmp_path, monkeypatch):
    """The workers inherit the parent's connection; using it (or opening one) is refused, so a
    checker that strays into the database fails the job instead of sharing the parent's session."""
    original = ResidentHandler.check_row

    def querying(self: ResidentHandler, n: int, cells: list[str], out: list[Any]) -> Any:
        if n == 150:
            Resident.objects.exists()
        return original(self, n, cells, out)

    monkeypatch.setattr(ResidentHandler, "check_row", querying)
    data = [rows.resident() for _ in range(300)]
    job = _run(write_csv(tmp_path / "r.csv", "residents", data), "--workers", "2", "--mode", "valid_rows")
    assert job.status == JobStatus.FAILED and "must not use the database" in job.message
    # The parent's own session is intact.
    assert connection.is_usable() and Resident.objects.filter(pk__gt=0).count() >= 0


def _raw_csv(
    path: Any, rows: list[dict[str, str]], *, encoding: str, newline: str, quote_all: bool = False
) -> Any:
    """The file written by hand, as editors and spreadsheets save them."""
    cols = columns_for("residents")
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        w.writerow([c.header for c in cols])
        for r in rows:
            w.writerow([r.get(c.key, "") for c in cols])
    return path


def _odd_rows(rows: Rows) -> list[dict[str, str]]:
    """Cells that COPY's text format must escape (a tab, a backslash), padded cells, blank lines
    and trailing blank lines, and bad rows: what the workers cut from the file's bytes must be
    what csv.reader gives."""
    data = [rows.resident(number=str(1 + i % 4)) for i in range(260)]
    data[2]["name"] = "张\t三"
    data[3]["name"] = "李\\四"
    data[4]["household_no"] = "H\\001\t2"
    data[5]["name"] = "  王五  "
    data[6]["road"] = " 张掖路\t"
    data[7] = {}
    data[8]["phone"] = "0931-8888888"
    # An address whose stored parts COPY must escape: a batch's address lines are checked on
    # their printed texts, which hold every part.
    data[11]["road"] = "张掖\\路"
    data[12]["number"] = "1\\2"
    data[9]["id_number"] = "123"
    data[150] = {}
    data[200] = dict(data[10])  # a twin within the file
    return [*data, {}, {}]


@pytest.mark.parametrize(
    ("encoding", "newline", "quote_all"),
    [("utf-8-sig", "\r\n", False), ("gb18030", "\n", False), ("utf-8", "\n", True)],
)
def test_workers_reading_the_file_themselves_give_what_the_csv_reader_gives(
    rows, world, tmp_path, encoding, newline, quote_all
):
    """Two workers cut the batches from the file's lines (a CSV without quotes: CRLF or LF,
    UTF-8 with its BOM or GB18030); a file with quotes goes through the CSV reader in the main
    process. Either way: the same rows, escapes included, and the same report as one process."""
    path = _raw_csv(
        tmp_path / "odd.csv", _odd_rows(rows), encoding=encoding, newline=newline, quote_all=quote_all
    )
    alone = _snapshot(_run(path, "--workers", "1", "--mode", "valid_rows"))
    Resident.objects.all().delete()
    Address.objects.all().delete()
    shared = _snapshot(_run(path, "--workers", "2", "--mode", "valid_rows"))
    assert shared == alone
    names = {r[0] for r in alone["residents"]}
    assert {"张\t三", "李\\四", "王五"} <= names
    assert "H\\001\t2" in {r[5] for r in alone["residents"]}
    stored = {(a[1], a[2], a[6]) for a in alone["addresses"]}
    assert any(road == "张掖\\路" and "张掖\\路" in text for road, _, text in stored)
    assert any(number == "1\\2" and "1\\2号" in text for _, number, text in stored)
    assert alone["job"][1] == 260 - 2  # the blank lines are not rows; the trailing ones are not data
    assert [(row, code) for row, _, _, code, _ in alone["issues"]] == [
        (11, "id_number_invalid"),
        (202, "duplicate_in_file"),
    ]
