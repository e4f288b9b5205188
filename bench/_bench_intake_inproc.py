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

Prints, per endpoint, the median and mean ms per request (wall, one thread; and the CPU time
of this process alone, which the other work on the machine disturbs less), the SQL statements
of one request, and the load average.
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
    args = ap.parse_args()
    django.setup()
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


if __name__ == "__main__":
    main()
