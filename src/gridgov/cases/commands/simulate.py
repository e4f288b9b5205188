"""`gridgov cases simulate`: a live stream for the demo. New synthetic cases come in at --rate
per second and open cases move along (about three acts per new case), each through the real
services at clock.now(), as the demo user whose turn it is; one line per thing done. Stops
after --duration seconds, or cleanly on Ctrl-C / SIGTERM (the act under way finishes first).
"""

from __future__ import annotations

import argparse
import random
import signal
import threading
import time
from typing import Any

from gridgov.cases.demo import Cast, Engine
from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Case
from gridgov.core import clock
from gridgov.core.errors import DomainError
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region

HELP = "演示:持续产生新事件并推进在办事件 / demo: a live stream of new cases and acts on open cases"
# How often the list of open cases is read again, in seconds.
REFRESH = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=0.5, help="new cases per second (default 0.5)")
    parser.add_argument(
        "--act-rate", type=float, default=None, help="acts on open cases per second (default 3 × rate)"
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--city", default="", help="city name (default: the first city)")


class _Stop:
    def __init__(self) -> None:
        self.flag = False
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; a caller elsewhere uses --duration
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        self.flag = True

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def handle(options: dict[str, Any], out: Any) -> None:
    rate = max(float(options["rate"]), 0.0)
    act_rate = options["act_rate"] if options["act_rate"] is not None else 3 * rate
    duration = options["duration"]
    seed = options["seed"] if options["seed"] is not None else time.time_ns()
    cities = Region.objects.filter(level=RegionLevel.CITY).defer("boundary").order_by("code")
    city = cities.filter(name=options["city"]).first() if options["city"] else cities.first()
    if city is None:
        out.write("没有城市,请先运行 gridgov demo / no city: run gridgov demo first")
        return
    cast = Cast.load(city)
    if not cast.grids or not cast.desk:
        out.write("没有网格或演示账号 / no grids or demo accounts: run gridgov demo first")
        return
    engine = Engine(cast, out=out, verbose=True)
    rng = random.Random(seed)
    stop = _Stop()
    stop.install()
    started = time.monotonic()
    out.write(
        f"模拟开始 / simulating {city.name}: {rate:g} 件/秒 new cases, {act_rate:g} 次/秒 acts"
        + (f", {duration:g} s" if duration else ", Ctrl-C 停止 / to stop")
    )
    created = 0
    open_ids: list[int] = []
    refreshed = -REFRESH
    next_case = started + (rng.expovariate(rate) if rate else float("inf"))
    next_act = started + (rng.expovariate(act_rate) if act_rate else float("inf"))
    try:
        while not stop.flag:
            mono = time.monotonic()
            if duration is not None and mono - started >= duration:
                break
            if mono >= next_case:
                next_case = mono + rng.expovariate(rate)
                try:
                    case = engine.create(rng=rng, at=clock.now(), key=f"sim-{seed}-{created:06d}")
                except DomainError as exc:
                    engine.problems += 1
                    out.write(f"  ! {exc.as_dict()['message']}")
                else:
                    if case is not None:
                        created += 1
                        open_ids.append(case.pk)
                continue
            if mono >= next_act:
                next_act = mono + rng.expovariate(act_rate)
                if mono - refreshed >= REFRESH:
                    open_ids = list(
                        Case.objects.filter(is_open=True, territory_code__startswith=city.prefix)
                        .exclude(status=CaseStatus.MERGED)
                        .values_list("pk", flat=True)
                    )
                    refreshed = mono
                _act_once(engine, open_ids, rng, out)
                continue
            time.sleep(min(0.2, max(0.0, min(next_case, next_act) - mono)))
    except KeyboardInterrupt:
        pass
    finally:
        stop.restore()
    out.write(
        f"模拟结束 / simulation stopped: 新建 {created} 件, {engine.acts} 次办理, {engine.ticks} 次变色 "
        f"({time.monotonic() - started:.0f} s)"
    )


def _act_once(engine: Engine, open_ids: list[int], rng: random.Random, out: Any) -> None:
    """Move one open case along; a case nobody in the demo can act on is left for another."""
    for _ in range(5):
        if not open_ids:
            return
        pk = rng.choice(open_ids)
        case = Case.objects.filter(pk=pk).first()
        if case is None or not case.is_open:
            open_ids.remove(pk)
            continue
        now = clock.now()
        try:
            case = engine.tick(case, now)
            moved = engine.step(case, now, rng)
        except DomainError as exc:
            engine.problems += 1
            out.write(f"  ! {case.number}: {exc.as_dict()['message']}")
            return
        if moved is not None:
            if not moved.is_open:
                open_ids.remove(pk)
            return
