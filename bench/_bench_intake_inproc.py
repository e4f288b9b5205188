"""Per-request cost of POST /api/v1/cases and of the bare endpoint, in one process, through the
WSGI application itself (the whole middleware stack, no HTTP server, no client): the quick
check of each intake change, before the full `bench/intake.py` run.

Needs a database prepared by `bench/intake.py --child prepare` (the territory, the demo
accounts, a token, the request bodies), e.g.:

    export GRIDGOV_VAR=/tmp/h1dev DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_h1_dev \
        DJANGO_SETTINGS_MODULE=bench.settings_bench PYTHONPATH=$PWD
    .venv/bin/python bench/intake.py --child prepare --out $GRIDGOV_VAR/prepare.json
    .venv/bin/python bench/_bench_intake_inproc.py --requests 300
    .venv/bin/python bench/_bench_intake_inproc.py --requests 300 --profile /tmp/intake.prof
    .venv/bin/python bench/_bench_intake_inproc.py --parts          # CPU µs of intake's parts
    .venv/bin/python bench/_bench_intake_inproc.py --ab clocks      # with/without, alternated

Prints, per endpoint, the median and mean ms per request (wall, one thread; and the CPU time
of this process alone, which the other work on the machine disturbs less), the SQL statements
of one request, and the load average. `--parts` times intake's pieces one by one (each called
2,000 times, median of 5). `--ab clocks` alternates batches of intakes with the clocks' per-day calendar
memo (cases/services/clocks.py) on and off, in one process, and compares their CPU medians:
the machine's load moves both alike.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import django


def _environ(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "18731",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for k, v in headers.items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    return env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--profile", help="write a cProfile of the intake requests here")
    ap.add_argument("--only", choices=["intake", "bare"], default=None)
    ap.add_argument("--parts", action="store_true", help="time intake's parts one by one")
    ap.add_argument("--ab", choices=["clocks"], help="alternate batches with a fast path off and on")
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--batch", type=int, default=60)
    args = ap.parse_args()
    django.setup()
    if args.parts:
        _parts()
        return
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    app = WSGIHandler()
    prep = json.loads((Path(os.environ["GRIDGOV_VAR"]) / "prepare.json").read_text())
    bodies = Path(prep["bodies"]).read_text().splitlines()
    run = uuid.uuid4().hex[:8]

    def post(mode: str, n: int) -> int:
        key = f"ip-{run}-{mode}-{n}"
        body = bodies[n % len(bodies)].replace("__KEY__", key).encode()
        headers = {"Idempotency-Key": key}
        if mode == "intake":
            headers["Authorization"] = f"Bearer {prep['token']}"
        status: list[str] = []
        out = app(
            _environ("/api/v1/cases" if mode == "intake" else "/bench/bare", body, headers),
            lambda s, h, exc_info=None: status.append(s),
        )
        b"".join(out)
        if hasattr(out, "close"):
            out.close()
        code = int(status[0].split()[0])
        assert code == 201, (code, b"".join(out))
        return code

    if args.ab:
        _ab(args, lambda n: post("intake", n))
        return
    modes = [args.only] if args.only else ["bare", "intake"]
    for mode in modes:
        for n in range(30):
            post(mode, n)
        statements: list[str] = []

        def record(
            execute: Any, sql: str, params: Any, many: bool, context: Any, into: list[str] = statements
        ) -> Any:
            into.append(sql)
            return execute(sql, params, many, context)

        # A wrapper, not CaptureQueriesContext: the handler resets the query log per request.
        with connection.execute_wrapper(record):
            post(mode, 99_999)
        times, cpu = [], []
        profiler = None
        if args.profile and mode == "intake":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        for n in range(args.requests):
            t0, c0 = time.perf_counter(), time.process_time()
            post(mode, 1000 + n)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(
            f"{mode:<7} wall median {statistics.median(times):6.2f} ms, "
            f"mean {statistics.fmean(times):6.2f}; CPU of this process median "
            f"{statistics.median(cpu):5.2f} ms, mean {statistics.fmean(cpu):5.2f}; "
            f"{len(statements)} statements"
        )
        for sql in statements:
            print(f"    {sql[:150]}")
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _cpu_us(fn: Any, n: int = 2000) -> float:
    runs = []
    for _ in range(5):
        c0 = time.process_time()
        for _ in range(n):
            fn()
        runs.append((time.process_time() - c0) / n * 1e6)
    return statistics.median(runs)


def _parts() -> None:
    """CPU µs of the pieces of one intake, each alone (warm caches, one thread)."""
    from gridgov.accounts.tokens import token_user
    from gridgov.cases.api import CaseIn, _draft
    from gridgov.cases.models import IdempotencyKey
    from gridgov.cases.present import case_out
    from gridgov.cases.services import intake
    from gridgov.cases.services.clocks import clocks_recompute
    from gridgov.core import clock

    prep = json.loads((Path(os.environ["GRIDGOV_VAR"]) / "prepare.json").read_text())
    raw = Path(prep["bodies"]).read_text().splitlines()[5].replace("__KEY__", "parts-0001")
    actor = token_user(prep["token"])
    now = clock.now()
    payload = CaseIn.model_validate_json(raw)
    draft = _draft(payload)
    plan = intake._plan(actor=actor, draft=draft)
    case, event = intake._build(actor=actor, draft=draft, plan=plan, now=now)
    case.number = "620102-20261121-0001"
    key = IdempotencyKey(user=actor, key="parts-0001", request_hash="x", created_at=now)
    parts = {
        "parse and validate the body (pydantic)": lambda: CaseIn.model_validate_json(raw),
        "draft fingerprint": draft.fingerprint,
        "token's user (one SELECT)": lambda: token_user(prep["token"]),
        "_plan (category, locate, routing, policy)": lambda: intake._plan(actor=actor, draft=draft),
        "_build (the rows, clocks included)": lambda: intake._build(
            actor=actor, draft=draft, plan=plan, now=now
        ),
        "clocks_recompute": lambda: clocks_recompute(case, now=now),
        "_insert_sql (case, event, key)": lambda: (
            intake._insert_sql(case, {"number": ("x", [])}, returning="id, number"),
            intake._insert_sql(event, {"case_id": ("x", [])}, returning="id"),
            intake._insert_sql(key, {"case_id": ("x", [])}),
        ),
        "case_out (the answer's dict)": lambda: case_out(case, now=now),
    }
    for name, fn in parts.items():
        print(f"{_cpu_us(fn, 300 if 'SELECT' in name else 2000):8.1f} µs  {name}")
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _ab(args: argparse.Namespace, post: Any) -> None:
    """Off: the clocks on the calendar without the per-day memo; on: as the product runs."""
    from gridgov.cases.services import clocks
    from gridgov.sla.selectors import current_calendar

    memo = clocks._calendar

    def switch(on: bool) -> None:
        clocks._calendar = memo if on else current_calendar  # type: ignore[assignment]

    n = 0
    for on in (False, True):
        switch(on)
        for _ in range(40):
            n += 1
            post(n)
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for r in range(args.rounds):
        for on in (False, True) if r % 2 == 0 else (True, False):
            switch(on)
            c0 = time.process_time()
            for _ in range(args.batch):
                n += 1
                post(n)
            cpu[on].append((time.process_time() - c0) * 1000 / args.batch)
    off, on_ = statistics.median(cpu[False]), statistics.median(cpu[True])
    wins = sum(a > b for a, b in zip(cpu[False], cpu[True], strict=True))
    print(
        f"{args.ab}: intake CPU per request, {args.rounds} alternated batches of {args.batch}: "
        f"without the fast path {off:.3f} ms, with it {on_:.3f} ms (saves {off - on_:.3f} ms; "
        f"lower in {wins} of {args.rounds} pairs)"
    )
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
