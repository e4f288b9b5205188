"""Intake benchmark: sustained POST /api/v1/cases through `gridgov serve` (2 worker processes),
against a bare Django endpoint that inserts one row, in the same run and on the same server, on
SQLite and PostgreSQL.

    .venv/bin/python bench/intake.py                           # 20 s per endpoint, both databases
    .venv/bin/python bench/intake.py --duration 3 --warmup 2 --backends sqlite    # a quick look
    .venv/bin/python bench/intake.py --backends postgresql --server granian,gunicorn   # both servers

For each database: a fresh one (SQLite in a temp dir; PostgreSQL a throwaway database on
127.0.0.1:5432, dropped at the end) with the real Lanzhou territory (`gridgov geo import-city
甘肃省 兰州市`), the demo accounts and a bearer token of the city dispatcher. Then `gridgov serve
--server S --workers 2` (granian by default; a fresh database per server) with
DJANGO_SETTINGS_MODULE=bench.settings_bench (the product plus the bare endpoint of
bench/bareapp), a warm-up of both endpoints, then `wrk` with bench/intake.lua on
each for a fixed time at a fixed concurrency. Bodies: points inside random grids of the city,
a few categories and channels, reporters with phones. Every request has a fresh
Idempotency-Key. Afterwards the keys in flight when wrk stopped are sent again (a replay
answers 200, a request that never arrived 201), and the database must hold exactly one case per
201 answer, one key row and one create event per case. On PostgreSQL one request is profiled
in-process (cProfile, django test Client) and its queries counted. Markdown on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import (
    HERE,
    ROOT,
    child_env,
    loadavg,
    log,
    machine,
    pg_available,
    pg_create,
    pg_drop,
    run_child,
)

LUA = HERE / "intake.lua"
VENV_BIN = Path(sys.executable).parent


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Intake benchmark (see the module docstring).")
    p.add_argument("--duration", type=int, default=20, help="seconds per measured endpoint")
    p.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per endpoint")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (concurrency)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument(
        "--server",
        default="granian",
        help="the HTTP server(s) of `gridgov serve --server`, comma-separated: granian, gunicorn",
    )
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--bodies", type=int, default=2000, help="distinct request bodies")
    p.add_argument("--port", type=int, default=18731)
    p.add_argument("--profile-requests", type=int, default=200)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--child", choices=["prepare", "verify", "profile"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--run-prefixes", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- children (Django set up with bench.settings_bench) ----------------------------------------


def _setup_django() -> None:
    import django

    django.setup()


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    _setup_django()
    import numpy as np
    import shapely

    from _bench_common import build_city
    from gridgov.accounts.models import User
    from gridgov.accounts.tokens import token_create
    from gridgov.cases.models import Category
    from gridgov.geo.index import load_layer

    build_city()
    dispatcher = User.objects.get(username="city_dispatcher")
    token = token_create(user=dispatcher, name="bench")
    geoms = load_layer().index.geoms
    rng = np.random.default_rng(args.seed)
    leaves = list(
        Category.objects.filter(active=True, parent__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)
    )
    categories = [leaves[i] for i in rng.choice(len(leaves), size=min(6, len(leaves)), replace=False)]
    channels = ["hotline_12345", "hotline_12345", "grid_worker", "citizen_app", "police_110"]
    titles = [
        "楼道墙体开裂",
        "小区垃圾清运不及时",
        "路灯损坏",
        "噪音扰民",
        "占道经营",
        "下水道堵塞",
        "邻里纠纷",
    ]
    pyrng = random.Random(args.seed)
    lines = []
    for n in range(args.bodies):
        geom = geoms[int(rng.integers(len(geoms)))]
        x0, y0, x1, y1 = geom.bounds
        while True:
            x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            if shapely.contains_xy(geom, x, y):
                break
        title = pyrng.choice(titles)
        body = {
            "channel": pyrng.choice(channels),
            "category": categories[n % len(categories)],
            "title": title,
            "description": f"{title},群众反映已持续数日,请尽快处理。编号 {n}",
            "urgency": "urgent" if n % 20 == 0 else "normal",
            "location": {"lon": round(x, 6), "lat": round(y, 6), "crs": "wgs84"},
            "address": f"兰州市某街道{n % 300}号",
            "reporter": {"name": "张三", "phone": f"138{n:08d}", "anonymous": False},
            "external_refs": {"12345": f"GS-2026-{n:06d}", "bench": "__KEY__"},
        }
        lines.append(json.dumps(body, ensure_ascii=False))
    bodies = Path(os.environ["GRIDGOV_VAR"]) / "bodies.jsonl"
    bodies.write_text("\n".join(lines) + "\n")
    return {"token": token, "bodies": str(bodies), "grids": len(geoms), "categories": categories}


def _verify(args: argparse.Namespace) -> dict[str, Any]:
    _setup_django()
    from bench.bareapp.models import BareRow

    from gridgov.cases.enums import CaseAction
    from gridgov.cases.models import Case, CaseEvent, IdempotencyKey

    runs = json.loads(Path(args.out).with_name("runs.json").read_text())
    sent: set[str] = set()
    answered: list[str] = []
    for r in runs:
        for tid, t in r["threads"].items():
            sent.update(f"{r['run']}-{tid}-{k}" for k in range(1, t["sent"] + 1))
            answered += t["answered"]
    in_db = list(IdempotencyKey.objects.values_list("key", flat=True))
    db = set(in_db)
    unanswered = sent - set(answered)
    return {
        "cases": Case.objects.count(),
        "keys": len(in_db),
        "distinct_key_cases": IdempotencyKey.objects.values("case_id").distinct().count(),
        "create_events": CaseEvent.objects.filter(action=CaseAction.CREATE).count(),
        "sent": len(sent),
        "answered_201": len(answered),
        "answered_distinct": len(set(answered)),
        "answered_missing": len(set(answered) - db),
        "in_flight": len(unanswered),
        "in_flight_committed": len(db & unanswered),
        "unknown_keys": len(db - sent),
        "bare_rows": BareRow.objects.count(),
    }


def _profile(args: argparse.Namespace) -> dict[str, Any]:
    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    prep = json.loads(Path(args.out).with_name("prepare.json").read_text())
    bodies = Path(prep["bodies"]).read_text().splitlines()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {prep['token']}")

    def post(n: int) -> Any:
        return client.post(
            "/api/v1/cases",
            data=bodies[n % len(bodies)].replace("__KEY__", f"profile-{n}"),
            content_type="application/json",
            headers={"Idempotency-Key": f"profile-{n}"},
        )

    for n in range(30):
        assert post(n).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        assert post(10_000).status_code == 201
    # Django's own timing of each statement (round trip and fetch, not the Python decoding).
    queries = [f"{float(q['time']) * 1000:6.1f} ms  {q['sql']}" for q in ctx.captured_queries]
    n = args.profile_requests
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    for k in range(n):
        post(20_000 + k)
    prof.disable()
    wall = (time.perf_counter() - started) / n
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())

    def share(pred: Any) -> float:
        return sum(v[3] for k, v in raw.items() if pred(k)) / n

    # Cumulative time of a few named functions, per request (seconds).
    named = {}
    for key, v in raw.items():
        filename, _line, func = key
        short = f"{Path(filename).parent.name}/{Path(filename).name}:{func}"
        if "gridgov" in filename or func in {"execute", "_execute", "execute_sql"}:
            named[short] = max(named.get(short, 0.0), v[3] / n)
    top = sorted(named.items(), key=lambda kv: -kv[1])[:30]
    from gridgov.accounts.models import User

    dispatcher = User.objects.select_related("center__region").get(username="city_dispatcher")
    boundary = json.dumps(dispatcher.center.region.boundary)
    return {
        "boundary_kb": len(boundary) / 1024,
        "queries": queries,
        "wall_ms": wall * 1000,
        "profiled_total_ms": total / n * 1000,
        "db_execute_ms": share(lambda k: k[2] == "execute" and "psycopg" in k[0] and "cursor" in k[0]) * 1000,
        "top": top,
        "text": text.getvalue(),
    }


# --- the driver ---------------------------------------------------------------------------------


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gridgov serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError("gridgov serve did not answer in time")


_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float, str]]:
    """pid → (parent pid, CPU seconds used so far, command line), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS, cmdline)
    return found


def _cpu_by_part(server_pid: int | None, database: str | None) -> dict[str, float]:
    """CPU seconds used so far by the server (its process and every descendant) and by the
    PostgreSQL backends connected to the bench's database (their title names it)."""
    procs = _processes()
    tree = {server_pid} if server_pid else set()
    grown = True
    while grown:
        kids = {pid for pid, (ppid, _, _) in procs.items() if ppid in tree} - tree
        tree |= kids
        grown = bool(kids)
    server = sum(procs[pid][1] for pid in tree if pid in procs)
    pg = sum(
        cpu for _, cpu, cmd in procs.values() if database and cmd.startswith("postgres:") and database in cmd
    )
    return {"server": server, "postgres": pg}


def _wrk(
    *,
    mode: str,
    run: str,
    seconds: int,
    args: argparse.Namespace,
    env: dict[str, str],
    server_pid: int | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    env = dict(env, BENCH_MODE=mode, BENCH_RUN=run)
    cmd = [
        "wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{args.port}",
    ]  # fmt: skip
    load = loadavg()
    # CPU per request of each part (server, PostgreSQL, wrk): the machine is shared, and what a
    # request costs in CPU is disturbed less by the other work than how many fit in a second.
    before, wrk_before = _cpu_by_part(server_pid, database), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    after, wrk_after = _cpu_by_part(server_pid, database), resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    r = json.loads(line[len("BENCH_JSON ") :])
    r["load_before"] = load
    n = max(r["requests"], 1)
    r["cpu_ms"] = {part: (after[part] - before[part]) * 1000 / n for part in after}
    r["cpu_ms"]["wrk"] = (
        (wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime) * 1000 / n
    )
    r["rate"] = r["requests"] / (r["duration_us"] / 1e6)
    r["ok"] = r["statuses"].get("201", 0)
    r["rate_201"] = r["ok"] / (r["duration_us"] / 1e6)
    r["bad"] = sum(n for code, n in r["statuses"].items() if code != "201")
    r["socket_errors"] = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout"))
    r["run"] = run
    return r


def _prewarm(port: int, bodies: list[str], token: str, workers: int) -> None:
    """Each worker loads the grid layer on its first located case: send cases one by one until
    every worker has answered a few quickly (or 60 s passed)."""
    fast, deadline, n = 0, time.monotonic() + 60, 0
    while fast < 10 * workers and time.monotonic() < deadline:
        n += 1
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/cases",
            data=bodies[n % len(bodies)].replace("__KEY__", f"prewarm-{n}").encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"prewarm-{n}",
            },
        )
        started = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - http://127.0.0.1 only
            assert resp.status == 201, resp.status
        fast = fast + 1 if time.perf_counter() - started < 0.2 else 0
    log(f"  pre-warm: {n} cases one by one")


def _backend(name: str, server_name: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix=f"gridgov-bench-intake-{name}-")
    pg_name = f"gridgov_bench_intake_{os.getpid()}"
    url = pg_create(pg_name) if name == "postgresql" else f"sqlite:///{tmp}/bench.sqlite3"
    env = child_env(tmp=tmp, database_url=url)
    here = str(Path(__file__).resolve())
    result: dict[str, Any] = {"backend": name, "server": server_name}
    server = None
    try:
        log(f"[{name}] building the database")
        prep_path = Path(tmp) / "prepare.json"
        run_child(Path(here), ["--child", "prepare", "--out", str(prep_path)], env)
        prep = json.loads(prep_path.read_text())
        result["grids"] = prep["grids"]
        bodies = Path(prep["bodies"]).read_text().splitlines()
        wenv = dict(env, BENCH_TOKEN=prep["token"], BENCH_BODIES=prep["bodies"])

        log(f"[{name}] gridgov serve --server {server_name} --workers {args.workers}")
        server = subprocess.Popen(
            [
                str(VENV_BIN / "gridgov"),
                "serve",
                "--server",
                server_name,
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{args.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(Path(tmp) / "serve.log", "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
        )
        _wait_ready(args.port, server)
        tag = f"b{os.getpid()}{name[0]}"
        _prewarm(args.port, bodies, prep["token"], args.workers)
        intake_runs = []
        measure = {"server_pid": server.pid, "database": pg_name if name == "postgresql" else None}
        warm = _wrk(mode="bare", run=f"{tag}wb", seconds=args.warmup, args=args, env=wenv, **measure)
        time.sleep(2)
        warm_i = _wrk(mode="intake", run=f"{tag}wi", seconds=args.warmup, args=args, env=wenv, **measure)
        intake_runs.append(warm_i)
        log(
            f"[{name}] warm-up: bare {warm['rate']:,.0f}/s, "
            f"intake {warm_i['rate']:,.0f}/s {warm_i['statuses']}"
        )
        time.sleep(2)
        bare = _wrk(mode="bare", run=f"{tag}mb", seconds=args.duration, args=args, env=wenv, **measure)
        log(f"[{name}] bare: {bare['rate']:,.0f}/s {bare['statuses']} (load before {bare['load_before']})")
        time.sleep(2)
        intake = _wrk(mode="intake", run=f"{tag}mi", seconds=args.duration, args=args, env=wenv, **measure)
        intake_runs.append(intake)
        log(
            f"[{name}] intake: {intake['rate']:,.0f}/s {intake['statuses']} "
            f"(load before {intake['load_before']})"
        )
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None

        (Path(tmp) / "runs.json").write_text(json.dumps(intake_runs))
        ver_path = Path(tmp) / "verify.json"
        run_child(Path(here), ["--child", "verify", "--out", str(ver_path)], env)
        ver = json.loads(ver_path.read_text())
        ver["prewarm"] = ver["unknown_keys"]
        ver["bare_201"] = warm["statuses"].get("201", 0) + bare["statuses"].get("201", 0)
        ver["ok"] = (
            ver["cases"] == ver["keys"] == ver["distinct_key_cases"] == ver["create_events"]
            and ver["answered_201"] == ver["answered_distinct"]
            and ver["answered_missing"] == 0
            and ver["cases"] == ver["answered_201"] + ver["in_flight_committed"] + ver["prewarm"]
        )
        log(f"[{name}] verify: {ver}")
        result.update(bare=bare, intake=intake, verify=ver)
        first_server = args.server.split(",")[0].strip()
        if name == "postgresql" and args.profile_requests and server_name == first_server:
            # In-process, no server: once per database is enough.
            log(f"[{name}] profiling {args.profile_requests} requests in-process")
            prof_path = Path(tmp) / "profile.json"
            run_child(
                Path(here),
                [
                    "--child",
                    "profile",
                    "--out",
                    str(prof_path),
                    "--profile-requests",
                    str(args.profile_requests),
                ],
                env,
            )
            result["profile"] = json.loads(prof_path.read_text())
            (Path(tempfile.gettempdir()) / f"gridgov-bench-intake-profile-{name}.txt").write_text(
                result["profile"]["text"]
            )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if name == "postgresql":
            pg_drop(pg_name)
        subprocess.run(["rm", "-rf", tmp], check=False)
    return result


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _cpu(w: dict[str, Any]) -> str:
    c = w["cpu_ms"]
    pg = f"{c['postgres']:.2f}" if c["postgres"] else "(in-process)"
    return f"{c['server']:.2f} / {pg} / {c['wrk']:.2f}"


def _report(results: list[dict[str, Any]], args: argparse.Namespace, notes: list[str]) -> str:
    lines = [
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python {' '.join(['bench/intake.py', *sys.argv[1:]])}`",
        f"- `gridgov serve --server {args.server}`: {args.workers} worker processes × 4 threads; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.duration} s per endpoint "
        f"after {args.warmup} s of warm-up, on the same cores",
        *[f"- {n}" for n in notes],
        "",
        "| database | server | endpoint | requests/s | p50 ms | p99 ms | max ms | non-201 | socket errors "
        "| CPU ms per request: server / PostgreSQL / wrk | load avg before (1/5/15 min) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for label, key in (("bare insert", "bare"), ("POST /api/v1/cases", "intake")):
            w = r[key]
            lines.append(
                f"| {r['backend']} | {r['server']} | {label} | {w['rate_201']:,.0f} | {_ms(w['p50_us'])} | "
                f"{_ms(w['p99_us'])} | "
                f"{_ms(w['max_us'])} | {w['bad']} | {w['socket_errors']} | {_cpu(w)} | {w['load_before']} |"
            )
    lines += [
        "",
        "| database | server | intake / bare | intake cases/s vs target 500 |",
        "|---|---|---:|---|",
    ]
    for r in results:
        ratio = r["intake"]["rate_201"] / r["bare"]["rate_201"] if r["bare"]["rate_201"] else 0
        target = "met" if r["intake"]["rate_201"] >= 500 else "below"
        lines.append(
            f"| {r['backend']} | {r['server']} | {ratio:.2f} | {r['intake']['rate_201']:,.0f} ({target}) |"
        )
    lines += ["", "Checks (after the run, in the database):", ""]
    for r in results:
        v = r["verify"]
        lines.append(
            f"- {r['backend']}, {r['server']}: {v['sent']:,} keys sent by wrk (warm-up included), "
            f"{v['answered_201']:,} answered 201 (all distinct, every one in the database); "
            f"{v['in_flight']} in flight when wrk stopped (answer never read), of which "
            f"{v['in_flight_committed']} committed; "
            f"{v['prewarm']} pre-warm cases. Database: {v['cases']:,} cases, {v['keys']:,} idempotency "
            f"keys, {v['create_events']:,} create events → "
            f"{'equal: nothing lost, nothing doubled' if v['ok'] else 'MISMATCH'}. "
            f"Bare: {v['bare_rows']:,} rows for {v['bare_201']:,} answers 201 (plus those in flight)."
        )
    prof = next((r.get("profile") for r in results if r.get("profile")), None)
    if prof:
        lines += [
            "",
            f"Profile of one intake request on PostgreSQL (in-process, django test Client, "
            f"{args.profile_requests} requests, cProfile on): {prof['wall_ms']:.1f} ms per request "
            f"(profiler overhead included), {len(prof['queries'])} SQL statements per request; "
            f"the receiving centre's region boundary (GeoJSON) is {prof['boundary_kb']:,.0f} KB:",
            "",
            "| cumulative ms per request | function |",
            "|---:|---|",
        ]
        for name, sec in prof["top"][:22]:
            lines.append(f"| {sec * 1000:.2f} | `{name}` |")
        lines += ["", "The statements of one request:", "", "```"]
        for q in prof["queries"]:
            lines.append(q if len(q) < 220 else q[:217] + "…")
        lines.append("```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.child:
        fn = {"prepare": _prepare, "verify": _verify, "profile": _profile}[args.child]
        Path(args.out).write_text(json.dumps(fn(args), ensure_ascii=False))
        return
    if shutil.which("wrk") is None:
        # The load generator is a Debian package, not a Python one: say so before building anything.
        raise SystemExit("bench/intake.py needs wrk: apt-get install wrk (bench/README.md)")
    notes = []
    results = []
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if name == "postgresql":
            reason = pg_available()
            if reason:
                notes.append(f"PostgreSQL skipped: {reason}")
                continue
            import psycopg

            with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
                version = conn.execute("SHOW server_version").fetchone()
            notes.append(f"PostgreSQL {version[0] if version else '?'} on the same machine (127.0.0.1)")
        for server_name in [s.strip() for s in args.server.split(",") if s.strip()]:
            results.append(_backend(name, server_name, args))
    print(_report(results, args, notes))


if __name__ == "__main__":
    main()
