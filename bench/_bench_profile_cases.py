"""Queries and time per service call of the closed loop: N cases, each created and taken through
accept … follow_up by calling the services directly (no HTTP), on a throwaway test database built
like the test suite's (the small real-boundary Lanzhou, the personas of tests/conftest.py).

    .venv/bin/python bench/_bench_profile_cases.py --cases 100
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gridgov GRIDGOV_TEST_DB=test_gridgov_h10_bench \
        .venv/bin/python bench/_bench_profile_cases.py --cases 100
    .venv/bin/python bench/_bench_profile_cases.py --cases 50 --profile /tmp/cases.prof   # cProfile

A first pass counts queries (CaptureQueriesContext, a few cases); a second pass, without the
capture's overhead, times every call. The figures are per call, median and mean in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def build() -> tuple[object, object, object]:
    from tests.cases.conftest import inside, ring_for_tests
    from tests.conftest import World, _center, make_user

    from gridgov.accounts.enums import GridDuty, Role
    from gridgov.accounts.models import Department, GridStaff
    from gridgov.cases.models import Category
    from gridgov.cases.services.categories import categories_load
    from gridgov.core import crypto

    crypto.keyring_reset(ring_for_tests())
    call_command("geo", "import-city", "甘肃省", "兰州市", "--grids", "120", "--seed", "7", "--quiet")
    if not Category.objects.exists():
        categories_load()
    world = World()
    bureau = Department.objects.create(
        region=world.county, code=f"{world.county.code}-ZJJ", name="住建局", short_name="住建局"
    )
    people = type("People", (), {})()
    people.desk = make_user("cd", Role.DISPATCHER, center=_center(world.city))
    people.handler = make_user("hh", Role.HANDLER, department=bureau)
    people.worker = make_user("gw", Role.GRID_WORKER, center=_center(world.community))
    GridStaff.objects.create(grid=world.grid, user=people.worker, duty=GridDuty.WORKER)
    return world, people, (bureau, inside(world.grid))


def cycle(i: int, people, extra, timings, counts=None) -> None:
    from gridgov.accounts.models import User
    from gridgov.cases.enums import CaseAction as A
    from gridgov.cases.enums import Channel, Rating
    from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create

    bureau, (lon, lat) = extra
    now = START + timedelta(minutes=i)
    # Fresh user objects per case, as a request would have (no per-object caches carried over).
    desk = User.objects.get(pk=people.desk.pk)
    handler = User.objects.get(pk=people.handler.pk)
    worker = User.objects.get(pk=people.worker.pk)
    draft = CaseDraft(
        channel=Channel.HOTLINE_12345,
        category_code="0101",
        title="楼道墙体开裂",
        description="三单元二楼楼道墙体出现裂缝",
        lon=lon,
        lat=lat,
        address="某小区三单元",
        reporter_name="张三",
        reporter_phone="13812345678",
    )
    steps = [
        (desk, A.ACCEPT, ActParams()),
        (desk, A.VERIFY, ActParams()),
        (desk, A.REGISTER, ActParams()),
        (desk, A.DISPATCH, ActParams(department_code=bureau.code)),
        (handler, A.CONTACT, ActParams(note="已电话联系")),
        (handler, A.HANDLE, ActParams()),
        (handler, A.REPORT_BACK, ActParams(note="墙体已修补")),
        (worker, A.CHECK, ActParams(passed=True)),
        (desk, A.CLOSE, ActParams()),
        (desk, A.FOLLOW_UP, ActParams(rating=Rating.SATISFIED)),
    ]

    def run(name, fn):
        if counts is not None:
            with CaptureQueriesContext(connection) as ctx:
                result = fn()
            counts[name].append(len(ctx.captured_queries))
            return result
        t0 = time.perf_counter()
        result = fn()
        timings[name].append(time.perf_counter() - t0)
        return result

    case, _ = run(
        "create",
        lambda: case_create(actor=desk, draft=draft, idempotency_key=f"bench-key-{i:06d}", now=now),
    )
    for k, (actor, action, params) in enumerate(steps, 1):
        at = now + timedelta(minutes=k)
        run(
            action.value,
            lambda u=actor, a=action, p=params, t=at: case_act(
                actor=u, number=case.number, action=a, params=p, now=t
            ),
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--profile", help="write a cProfile of the timed pass here")
    ap.add_argument("--show-queries", metavar="ACTION", help="print the SQL of one call of this action")
    args = ap.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        _world, people, extra = build()
        counts: dict[str, list[int]] = defaultdict(list)
        timings: dict[str, list[float]] = defaultdict(list)
        for i in range(5):  # counting pass (and warm-up); the last cycle's counts are reported
            cycle(10_000 + i, people, extra, timings, counts)
        if args.show_queries:
            from gridgov.cases.enums import CaseAction  # noqa: F401

            with CaptureQueriesContext(connection) as ctx:
                cycle(20_000, people, extra, timings, None)
            for q in ctx.captured_queries:
                print(q["time"], q["sql"][:300])
            timings.clear()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0 = time.perf_counter()
        for i in range(args.cases):
            cycle(i, people, extra, timings)
        wall = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        vendor = connection.vendor
        print(f"\n{vendor}: {args.cases} cases, wall {wall:.2f}s (incl. 3 user reloads per case)")
        print(f"{'call':<14}{'queries':>8}{'median ms':>11}{'mean ms':>9}")
        total_q, total_t = 0, 0.0
        for name in timings:
            q = counts[name][-1]
            ms = [t * 1000 for t in timings[name]]
            total_q += q
            total_t += sum(ms) / len(ms)
            print(f"{name:<14}{q:>8}{statistics.median(ms):>11.2f}{statistics.fmean(ms):>9.2f}")
        print(f"{'cycle total':<14}{total_q:>8}{'':>11}{total_t:>9.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
