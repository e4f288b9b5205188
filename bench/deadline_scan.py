"""Deadline-scan benchmark: `cases.tasks.scan_deadlines` over 1,000,000 open cases, on SQLite
and PostgreSQL.

    .venv/bin/python bench/deadline_scan.py                      # 1,000,000 cases, 2,000 due
    .venv/bin/python bench/deadline_scan.py --cases 100000 --due 200 --backends sqlite

For each database: a fresh one with the real Lanzhou territory and demo accounts, one case made
by the real `case_create` as the template, then the cases table filled set-based in one
INSERT … SELECT over a generated series (every column copied from the template except number,
status, the clock times and the colour). The times are spread so that, at the scan's `now`,
about 12 % are overdue (red), 3 % yellow and the rest green, every colour already up to date,
except `--due` cases whose deadline passed in the last ten minutes while still green: what a
scan finds after a short gap. Timed: the finding step (`cases_due(now).count()` and its first
batch of numbers, `tasks.due_numbers`, as `scan_deadlines` takes it), before and after ANALYZE; one full
`scan_deadlines(now)` pass (find, then tick the due cases `TICK_CHUNK` per transaction, read
and written in bulk), with the CPU seconds it cost this process and its PostgreSQL backend;
and a second pass with nothing left to do. CaseEvent rows are not generated
(the scan does not read them). Markdown on standard output, progress on standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import (
    child_env,
    loadavg,
    log,
    machine,
    pg_available,
    pg_create,
    pg_drop,
    run_child,
)

VARYING = {
    "number",
    "status",
    "colour",
    "created_at",
    "updated_at",
    "finish_started_at",
    "due_at",
    "yellow_at",
    "finish_due_at",
}


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Deadline-scan benchmark (see the module docstring).")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--due", type=int, default=2_000, help="cases whose colour is due to change")
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _sql(vendor: str, cols: list[str], types: dict[str, str]) -> str:
    """INSERT … SELECT over g = 1..n; %(name)s parameters for the template's constant values."""
    if vendor == "postgresql":
        series = "generate_series(1, %(n)s) AS s(g)"
        u = "(((g * 2654435761) %% 1000003)::float8 / 1000003)"
        base = "%(now)s::timestamptz"

        def at(seconds: str) -> str:
            return f"({base} + ({seconds}) * interval '1 second')"

        number = "'B' || lpad(g::text, 9, '0')"
    else:
        series = (
            "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
            "SELECT g FROM s)"
        )
        u = "(((g * 2654435761) %% 1000003) * 1.0 / 1000003)"

        def at(seconds: str) -> str:
            return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %(now)s, CAST(({seconds}) AS INTEGER) || ' seconds')"

        number = "'B' || substr('000000000' || g, -9, 9)"
    # Seconds from `now` to the deadline: uniform over 30 days, 12 % already past; the due ones
    # passed it 1–600 s ago. Yellow one day before the deadline, started five days before it.
    due = f"(CASE WHEN g <= %(due)s THEN -60 - (g %% 540) ELSE CAST({u} * 2592000 - 311040 AS INTEGER) END)"
    colour = (
        f"(CASE WHEN g <= %(due)s THEN 'green' WHEN {due} <= 0 THEN 'red' "
        f"WHEN {due} <= 86400 THEN 'yellow' ELSE 'green' END)"
    )
    status = (
        "(CASE g %% 4 WHEN 0 THEN 'received' WHEN 1 THEN 'registered' "
        "WHEN 2 THEN 'dispatched' ELSE 'handling' END)"
    )
    started = f"(CASE WHEN g <= %(due)s THEN -3456000 ELSE {due} - 432000 END)"
    expr = {
        "number": number,
        "status": status,
        "colour": colour,
        "created_at": at(started),
        "updated_at": at(started),
        "finish_started_at": at(started),
        "due_at": at(due),
        "finish_due_at": at(due),
        "yellow_at": at(f"{due} - 86400"),
    }
    select = []
    for c in cols:
        if c in expr:
            select.append(expr[c])
        elif vendor == "postgresql":
            select.append(f"%({c})s::{types[c]}")
        else:
            select.append(f"%({c})s")
    names = ", ".join(f'"{c}"' for c in cols)
    return f"INSERT INTO cases_case ({names}) SELECT {', '.join(select)} FROM {series}"


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from _bench_common import build_city
    from gridgov.accounts.models import User
    from gridgov.cases.models import Case, Category
    from gridgov.cases.selectors import cases_due
    from gridgov.cases.services import CaseDraft, case_create
    from gridgov.cases.tasks import SCAN_LIMIT, due_numbers, due_plan, scan_deadlines

    vendor = connection.vendor
    build_city()
    actor = User.objects.get(username="city_dispatcher")
    category = Category.objects.filter(active=True, parent__isnull=False).order_by("code").first()
    assert category is not None
    now = timezone.now().replace(microsecond=0)
    draft = CaseDraft(
        channel="hotline_12345",
        category_code=category.code,
        title="楼道墙体开裂",
        description="群众反映楼道墙体开裂,请尽快处理。",
        lon=103.83,
        lat=36.06,
        reporter_name="张三",
        reporter_phone="13812345678",
    )
    template, _ = case_create(actor=actor, draft=draft, idempotency_key="bench-template", now=now)
    table = Case._meta.db_table
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            types = dict(cur.fetchall())
            cols = [c for c in types if c != "id"]
            cur.execute(
                f"SELECT {', '.join(f'{c}::text' for c in cols)} FROM {table} WHERE id = %s", [template.pk]
            )
        else:
            types = {}
            cur.execute(f"SELECT * FROM {table} WHERE id = %s", [template.pk])
        row = cur.fetchone()
        names = cols if vendor == "postgresql" else [d[0] for d in cur.description]
        values = dict(zip(names, row, strict=True))
        cols = [c for c in names if c != "id"]
        params = {c: values[c] for c in cols if c not in VARYING}
        params.update(
            n=args.cases,
            due=args.due,
            now=now if vendor == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S"),
        )
        sql = _sql(vendor, cols, types)
        started = time.perf_counter()
        cur.execute(sql, params)
        insert_s = time.perf_counter() - started
    log(f"  {args.cases:,} cases inserted in {insert_s:.1f} s ({vendor})")
    # The template case (made by case_create, with its event) stays: one more open case.
    total = Case.objects.filter(is_open=True).count()
    colours = dict(
        Case.objects.filter(number__startswith="B")
        .values_list("colour")
        .order_by()
        .annotate(n=models_count())
    )

    def finding() -> dict[str, float]:
        t0 = time.perf_counter()
        with due_plan():
            count = cases_due(now).count()
        t1 = time.perf_counter()
        batch = due_numbers(now, SCAN_LIMIT)  # as scan_deadlines takes it
        t2 = time.perf_counter()
        return {"count": count, "count_s": t1 - t0, "batch": len(batch), "batch_s": t2 - t1}

    out: dict[str, Any] = {
        "vendor": vendor,
        "insert_s": insert_s,
        "open": total,
        "colours": colours,
        "load": loadavg(),
    }
    finding()  # a first touch of the table's pages, not timed
    out["find_before_analyze"] = finding()
    with connection.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute(f"ANALYZE {table}" if vendor == "postgresql" else "ANALYZE")
        out["analyze_s"] = time.perf_counter() - t0
    out["find_after_analyze"] = finding()
    with due_plan():
        out["plan"] = cases_due(now).values_list("due_at", "number").explain()
    backend = _backend_pid(connection) if vendor == "postgresql" else None
    cpu0, db0 = time.process_time(), _proc_cpu(backend)
    t0 = time.perf_counter()
    out["scan"] = scan_deadlines(now=now)
    out["scan_s"] = time.perf_counter() - t0
    # CPU seconds actually spent (this process, and its PostgreSQL backend when that runs on
    # this machine): what the pass costs, less disturbed than the wall time by other work.
    out["scan_cpu_s"] = time.process_time() - cpu0
    db1 = _proc_cpu(backend)
    out["scan_db_cpu_s"] = None if db0 is None or db1 is None else db1 - db0
    t0 = time.perf_counter()
    out["rescan"] = scan_deadlines(now=now)
    out["rescan_s"] = time.perf_counter() - t0
    log(f"  scan: {out['scan']} in {out['scan_s']:.1f} s; again: {out['rescan']} in {out['rescan_s']:.2f} s")
    return out


def _backend_pid(connection: Any) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return int(cur.fetchone()[0])


def _proc_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process of this machine (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def models_count() -> Any:
    from django.db.models import Count

    return Count("id")


def _backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix=f"gridgov-bench-scan-{name}-")
    pg_name = f"gridgov_bench_scan_{os.getpid()}"
    url = pg_create(pg_name) if name == "postgresql" else f"sqlite:///{tmp}/bench.sqlite3"
    env = child_env(tmp=tmp, database_url=url, settings="gridgov.settings")
    out = Path(tmp) / "result.json"
    try:
        log(f"[{name}] building")
        run_child(Path(__file__).resolve(), ["--child", name, "--out", str(out), *_passthrough(args)], env)
        return json.loads(out.read_text())
    finally:
        if name == "postgresql":
            pg_drop(pg_name)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def _passthrough(args: argparse.Namespace) -> list[str]:
    return ["--cases", str(args.cases), "--due", str(args.due)]


def _report(results: list[dict[str, Any]], args: argparse.Namespace, notes: list[str]) -> str:
    lines = [
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python {' '.join(['bench/deadline_scan.py', *sys.argv[1:]])}`",
        *[f"- {n}" for n in notes],
        "",
        "| database | open cases | insert (set-based) | due | count, before / after ANALYZE | "
        "first batch, before / after ANALYZE | full pass | CPU of the pass: scan process / "
        "database backend | ticked (changed) | ticks/s | second pass (nothing due) | load avg (1/5/15) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        b, a = r["find_before_analyze"], r["find_after_analyze"]
        tick_s = r["scan_s"] - a["batch_s"]
        rate = r["scan"]["changed"] / tick_s if tick_s > 0 else 0
        lines.append(
            f"| {r['vendor']} | {r['open']:,} | {r['insert_s']:.1f} s | {a['count']:,} | "
            f"{b['count_s'] * 1000:.0f} / {a['count_s'] * 1000:.0f} ms | "
            f"{b['batch_s'] * 1000:.0f} / {a['batch_s'] * 1000:.0f} ms | {r['scan_s']:.2f} s | "
            f"{r['scan_cpu_s']:.2f} s / "
            f"{'—' if r['scan_db_cpu_s'] is None else format(r['scan_db_cpu_s'], '.2f') + ' s'} | "
            f"{r['scan']['changed']:,} | {rate:,.0f} | {r['rescan_s'] * 1000:.0f} ms | {r['load']} |"
        )
    lines += ["", "Colours of the generated cases at `now`:", ""]
    for r in results:
        lines.append(
            f"- {r['vendor']}: "
            + ", ".join(f"{k or '(none)'} {v:,}" for k, v in sorted(r["colours"].items()))
        )
    lines += ["", "Plans of `cases_due(now)` after ANALYZE, as `due_numbers` runs it (`due_plan`):", ""]
    for r in results:
        lines += [f"{r['vendor']}:", "", "```", r["plan"], "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.child:
        Path(args.out).write_text(json.dumps(_child(args), ensure_ascii=False, default=str))
        return
    notes, results = [], []
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if name == "postgresql" and (reason := pg_available()):
            notes.append(f"PostgreSQL skipped: {reason}")
            continue
        results.append(_backend(name, args))
    print(_report(results, args, notes))


if __name__ == "__main__":
    main()
