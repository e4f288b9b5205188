"""Benchmark: import 1,000,000 synthetic residents through the real import pipeline (validation,
GB 11643 check digits, encryption, blind indexes, address keys, grid assignment through the
in-memory grid layer, duplicate checks, COPY / executemany) and, in the same run, a bare load
of the same rows into a plain table: the physical limit of the database on this machine.

    .venv/bin/python bench/import_residents.py                    # both databases, 1 M rows
    .venv/bin/python bench/import_residents.py --rows 200000 --db sqlite
    .venv/bin/python bench/import_residents.py --rows 50000 --db postgresql --keep --reuse \
        --profile var/bench/import.prof                           # cProfile of the import only

Each database is a bench database of its own, built here and dropped at the end (--keep to keep
it): PostgreSQL `gridgov_bench_import` on 127.0.0.1:5432, SQLite var/bench/import.sqlite3. The
city is Lanzhou from `gridgov geo import-city 甘肃省 兰州市` (4,417 grids). Results go to
docs/benchmarks-import.md by hand, with the machine's load. CPU is reported for the main process
(`import_client_cpu_seconds`, all its threads), the check workers (`import_workers_cpu_seconds`)
and, on PostgreSQL, the server backend the import wrote with (`import_server_cpu_seconds`; its
parallel index-build workers are not in it).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/gridgov_bench_import"
SQLITE_BENCH = ROOT / "var" / "bench" / "import.sqlite3"
ROADS = ["张掖路", "庆阳路", "酒泉路", "中山路", "南昌路", "天水路", "西津路", "安宁路", "民主路", "皋兰路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def generate(path: Path, n: int, *, seed: int = 20261121) -> None:
    """n residents in the city's communities, each at a point inside one of its real grids; about
    1.7 people per address (Lanzhou: 4,578,000 people at 2,729,000 addresses)."""
    import numpy as np
    import shapely

    from gridgov.geo.models import Grid

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    grids = list(Grid.objects.select_related("community").values_list("boundary", "community__code"))
    geoms = [shapely.geometry.shape(b) for b, _ in grids]
    per_grid = max(1, n // (len(grids) * 2) + 1)
    points: list[tuple[float, float, str]] = []
    for g, (_, code) in zip(geoms, grids, strict=True):
        x0, y0, x1, y1 = g.bounds
        got: list[tuple[float, float]] = []
        while len(got) < per_grid:
            # Rounded before the test: a point written with 7 decimals must still lie inside.
            xs = nprng.uniform(x0, x1, per_grid * 4).round(7)
            ys = nprng.uniform(y0, y1, per_grid * 4).round(7)
            ok = shapely.contains_xy(g, xs, ys)
            got.extend(zip(xs[ok].tolist(), ys[ok].tolist(), strict=True))
        points.extend((x, y, code) for x, y in got[:per_grid])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "姓名",
                "公民身份号码",
                "联系电话",
                "人口类型",
                "户号",
                "与户主关系",
                "所属社区",
                "街路巷",
                "门牌号",
                "楼栋",
                "单元",
                "室",
                "经度",
                "纬度",
            ]
        )
        serial = 0
        written = 0
        seen: set[str] = set()
        while written < n:
            lon, lat, code = points[rng.randrange(len(points))]
            road = ROADS[rng.randrange(len(ROADS))]
            number, building, room = rng.randint(1, 300), rng.randint(1, 30), rng.randint(101, 2402)
            household = f"{code}{serial:08d}"
            for member in range(min(n - written, rng.choice((1, 1, 2, 2, 2, 3)))):
                serial += 1
                while True:
                    body = (
                        f"{code[:6]}{rng.randint(1940, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                    )
                    body += f"{rng.randint(0, 999):03d}"
                    if body not in seen:
                        seen.add(body)
                        break
                number_id = body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
                w.writerow(
                    [
                        SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                        number_id,
                        f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                        "户籍人口" if rng.random() < 0.8 else "流动人口",
                        household,
                        "户主" if member == 0 else rng.choice(("配偶", "子女", "父母")),
                        code,
                        road,
                        number,
                        building,
                        1 + room % 4,
                        room,
                        lon,
                        lat,
                    ]
                )
                written += 1


def _plain_table(name: str) -> None:
    """A plain table for the file's rows, no index, no key: what the bare loads write into."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"DROP TABLE IF EXISTS {name}")
        c.execute(
            f"CREATE TABLE {name} (name text, id_number text, phone text, kind text, household text, "
            "relation text, community text, road text, number text, building text, unit text, room text, "
            "lon double precision, lat double precision)"
        )


def _plain_rows(fh: Any) -> Iterator[tuple[Any, ...]]:
    """The file's rows as the plain table's values."""
    reader = csv.reader(fh)
    next(reader)
    return ((*r[:12], float(r[12]), float(r[13])) for r in reader)


def bare_load(path: Path) -> tuple[float, float, int]:
    """The same rows, read from the same file, into a plain table: COPY (PostgreSQL) or one
    executemany (SQLite) in one transaction, no checks, no encryption."""
    from django.db import connection, transaction

    _plain_table("bench_plain")
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, newline="", encoding="utf-8") as fh, transaction.atomic(), connection.cursor() as c:
        rows = _plain_rows(fh)
        if connection.vendor == "postgresql":
            with c.cursor.copy("COPY bench_plain FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            c.executemany(f"INSERT INTO bench_plain VALUES ({', '.join(['%s'] * 14)})", list(rows))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM bench_plain")
        count = c.fetchone()[0]
        c.execute("DROP TABLE bench_plain")
    return took, cpu, count


def binary_reference(path: Path) -> float | None:
    """The issue's own yardstick (PostgreSQL only): binary COPY of the same rows, built as
    tuples in memory first, into a plain table. The issue measured about 430,000 rows/s here
    before the project existed; this run's figure says how this machine compares with that one."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(_plain_rows(fh))
    _plain_table("bench_binary")
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as c,
        c.cursor.copy("COPY bench_binary FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(["text"] * 12 + ["float8", "float8"])
        for r in rows:
            copy.write_row(r)
    took = time.perf_counter() - started
    with connection.cursor() as c:
        c.execute("DROP TABLE bench_binary")
    return len(rows) / took


def _children_cpu() -> float:
    """CPU of this process's children that have ended: the import's worker processes, reaped
    when the job ends."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process of this machine: the PostgreSQL server is here."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(") ")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class _Phases(logging.Handler):
    """The seconds of a bulk load's phases, read from the import's own log lines
    (gridgov.bulk.rebuild: "rows of … written in %.1f s", "… rebuilt in %.1f s")."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg)
        if text.startswith("rows of ") and "written in" in text:
            self.seconds["load"] = round(float(record.args[-1]), 2)  # type: ignore[index]
        elif text.startswith("indexes and keys of "):
            self.seconds["rebuild"] = round(float(record.args[-1]), 2)  # type: ignore[index]


def one(
    url: str,
    rows: int,
    batch: int,
    profile: str = "",
    serial: bool = False,
    load: str = "auto",
    workers: int | None = None,
) -> dict[str, object]:
    _django(url)
    from django.conf import settings

    # --serial: prepare and write each batch in turn (no writer thread), to measure the overlap.
    settings.GRIDGOV_BULK_OVERLAP = not serial
    from django.core.management import call_command

    from gridgov.bulk.models import ImportJob
    from gridgov.geo.index import current_layer
    from gridgov.geo.models import Grid
    from gridgov.registry.models import Resident

    call_command("migrate", verbosity=0)
    if not Grid.objects.exists():
        call_command("geo", "import-city", "甘肃省", "兰州市", "--quiet")
    grids = Grid.objects.count()
    data = ROOT / "var" / "bench" / f"residents-{rows}.csv"
    if not data.exists():
        generate(data, rows)
    current_layer()  # the layer is built once per process; not part of an import's time
    bare_s, bare_cpu, bare_n = bare_load(data)
    binary_rows_per_s = binary_reference(data)
    from django.db import connection

    # A reused bench database still holds the last run's rows. TRUNCATE (PostgreSQL) or plain
    # DELETEs (SQLite, which the bench fills with nothing that points at them): the ORM's delete
    # walks its cascades row by row, and on SQLite its SET NULL of a million ids exceeds the
    # statement's variables.
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("TRUNCATE registry_resident, registry_address CASCADE")
        else:
            c.execute("DELETE FROM registry_resident")
            c.execute("DELETE FROM registry_address")
    args = ["import", "residents", str(data), "--mode", "valid_rows", "--quiet", "--new"]
    args += ["--batch-size", str(batch), "--load", load]
    if workers is not None:
        args += ["--workers", str(workers)]
    load_before = os.getloadavg()
    phases = _Phases()
    logging.getLogger("gridgov.bulk").addHandler(phases)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: a busy machine distorts it less
        profiler.enable()
    postgres = connection.vendor == "postgresql"
    if postgres:
        # The import then opens its own session, whose backend's CPU is the server's share.
        connection.close()
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    call_command(*args)
    full_s, full_cpu = time.perf_counter() - started, time.process_time() - cpu
    workers_cpu = _children_cpu() - children
    server_cpu = 0.0
    if postgres:
        # The session the import wrote with (COPY, index rebuilds, lookups): the same
        # connection object, still open. The progress connection's few updates are left out.
        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            server_cpu = _process_cpu(c.fetchone()[0])
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    return {
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "overlap": not serial,
        "load": load,
        "message": job.message,
        "rows": rows,
        "grids": grids,
        "batch": batch,
        "bare_seconds": round(bare_s, 2),
        "bare_client_cpu_seconds": round(bare_cpu, 2),
        "bare_rows_per_s": round(bare_n / bare_s),
        # The yardstick: binary COPY of the rows prepared in memory (430,000 rows/s there).
        "binary_copy_rows_per_s": round(binary_rows_per_s) if binary_rows_per_s else None,
        "import_seconds": round(full_s, 2),
        "import_client_cpu_seconds": round(full_cpu, 2),
        "import_workers_cpu_seconds": round(workers_cpu, 2),
        "import_server_cpu_seconds": round(server_cpu, 2),
        "workers": workers if workers is not None else "default",
        "import_rows_per_s": round(job.imported_rows / full_s),
        # Machines here drift by a third within a day: the time over the bare load's, measured
        # in the same run, compares better across runs than the seconds alone.
        "import_over_bare": round(full_s / bare_s, 2),
        # A bulk load's two phases (PostgreSQL): writing the rows, rebuilding indexes and keys.
        "load_seconds": phases.seconds.get("load"),
        "rebuild_seconds": phases.seconds.get("rebuild"),
        "import_rows_per_client_cpu_s": round(job.imported_rows / full_cpu),
        "load_before_import": [round(x, 2) for x in load_before],
        "load_after_import": [round(x, 2) for x in os.getloadavg()],
        "imported": job.imported_rows,
        "errors": job.error_rows,
        "addresses_created": job.addresses_created,
        "ungridded": job.ungridded_rows,
        "residents_in_table": Resident.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept bench database (city loaded)")
    parser.add_argument("--profile", default="", help="write a cProfile of the import to this file")
    parser.add_argument("--serial", action="store_true", help="no writer thread: batches in turn")
    parser.add_argument(
        "--load",
        choices=["auto", "incremental", "rebuild"],
        default="auto",
        help="gridgov import --load (PostgreSQL; SQLite always writes incrementally)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gridgov import --workers (default: the import's own)"
    )
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        load = args.load if args.one.startswith("postgres") else "auto"
        result = one(args.one, args.rows, args.batch, args.profile, args.serial, load, args.workers)
        print(json.dumps(result, ensure_ascii=False))
        return
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')} · {platform.node()} · "
        f"{platform.processor() or platform.machine()}"
        f" · {os.cpu_count()} cores · load {os.getloadavg()}"
    )
    targets = []
    if args.db in ("postgresql", "both"):
        exists = subprocess.run(
            ["psql", PG_ADMIN, "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'gridgov_bench_import'"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not (args.reuse and exists):
            drop = "DROP DATABASE IF EXISTS gridgov_bench_import"
            subprocess.run(["psql", PG_ADMIN, "-qc", drop], check=True)
            subprocess.run(["psql", PG_ADMIN, "-qc", "CREATE DATABASE gridgov_bench_import"], check=True)
        targets.append(PG_BENCH)
    if args.db in ("sqlite", "both"):
        SQLITE_BENCH.parent.mkdir(parents=True, exist_ok=True)
        targets.append(f"sqlite:///{SQLITE_BENCH}")
    try:
        for url in targets:
            cmd = [
                sys.executable,
                __file__,
                "--one",
                url,
                "--rows",
                str(args.rows),
                "--batch",
                str(args.batch),
                "--profile",
                args.profile,
                *(["--serial"] if args.serial else []),
                "--load",
                args.load,
                *(["--workers", str(args.workers)] if args.workers is not None else []),
            ]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            print(out.stdout.strip().splitlines()[-1])
            print(f"#   load after: {os.getloadavg()}")
    finally:
        if not args.keep:
            if args.db in ("postgresql", "both"):
                subprocess.run(
                    ["psql", PG_ADMIN, "-qc", "DROP DATABASE IF EXISTS gridgov_bench_import"], check=False
                )
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_BENCH}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
