"""`gridgov demo`: build the demo city once (real county boundaries, synthetic grids below,
a centre at every level, departments, a user for every role), print the logins, and serve.

Each step must be idempotent, because the first README command runs this every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region

# Domains seeded after the cases, in this order; each has `demo.py` with
# `seed_demo(*, city, now, out, options) -> list[str]` (lines to print under the logins), and each
# seeder must be idempotent because this command runs on every start.
DOMAIN_SEEDERS: list[str] = ["stats", "reports", "bulk", "registry", "portal", "open311", "field"]

DEMO_PASSWORD = os.environ.get("GRIDGOV_DEMO_PASSWORD", "Demo-Passw0rd!")
# Lanzhou's own figure from the seeds (兰州 精准划分网格4417个).
DEFAULT_PROVINCE, DEFAULT_CITY = "甘肃省", "兰州市"


class Command(BaseCommand):
    help = "Build the demo city (first run only) and serve it at http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--province", default=DEFAULT_PROVINCE)
        parser.add_argument("--city", default=DEFAULT_CITY)
        parser.add_argument(
            "--grids", type=int, default=None, help="number of grids (default: the seeds' figure)"
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="wipe this database and build the demo again from scratch"
        )
        parser.add_argument("--cases", type=int, default=4000, help="demo cases over the last 90 days")
        parser.add_argument(
            "--full-size",
            action="store_true",
            help="base registers at the seeds' full size instead of 1:20 (slow: millions of rows)",
        )
        parser.add_argument("--no-serve", action="store_true", help="build and print logins, then exit")
        parser.add_argument(
            "--no-simulate", action="store_true", help="serve without the live stream of cases"
        )
        parser.add_argument("--no-worker", action="store_true", help="serve without the background worker")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        if opts["rebuild"]:
            # Cases, staff and centres all point at the territory: a rebuilt demo starts empty.
            call_command("flush", interactive=False, verbosity=0)
        city = self._city(opts)
        from gridgov.accounts.demo import seed_demo_accounts

        logins = seed_demo_accounts(city=city, password=DEMO_PASSWORD)
        from gridgov.cases.demo import seed_demo_cases
        from gridgov.core import clock

        now = clock.now()
        seed_demo_cases(city=city, now=now, count=opts["cases"], out=self.stdout)
        notes: list[str] = []
        for name in DOMAIN_SEEDERS:
            # Each later domain seeds its own demo data through its own services.
            module = import_module(f"gridgov.{name}.demo")
            notes.extend(module.seed_demo(city=city, now=now, out=self.stdout, options=opts) or [])
        grids = Grid.objects.filter(code__startswith=city.prefix).count()
        url = f"http://{opts['bind']}/"
        self.stdout.write("")
        took = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"演示城市就绪 / demo city ready: {city.name}, {grids:,} 个网格 ({took:.0f} s)"
            )
        )
        self.stdout.write(f"  地址 / URL:  {url}")
        self.stdout.write(f"  密码 / password (all demo users): {DEMO_PASSWORD}")
        self.stdout.write("  登录 / logins:")
        for login in logins:
            self.stdout.write(f"    {login.username:<28} {login.description}")
        for note in notes:
            self.stdout.write(f"  {note}")
        self.stdout.write("")
        if opts["no_serve"]:
            return
        helpers: list[subprocess.Popen[bytes]] = []
        # The background worker: deadline scans, notifications, statistics, scheduled bulletins.
        if not opts["no_worker"]:
            self.stdout.write("  后台任务 / worker: gridgov worker, var/log/worker.log (--no-worker: off)")
            helpers.append(self._spawn(["worker"]))
        if not opts["no_simulate"]:
            # A live stream of new cases and actions, so the queue and the screens move.
            self.stdout.write("  实时模拟 / live stream: gridgov cases simulate (--no-simulate to turn off)")
            helpers.append(self._spawn(["cases", "simulate", "--rate", "0.2", "--city", city.name]))
        try:
            call_command("serve", bind=opts["bind"])
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=10)

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        # Their logs go to var/log/, not over the server's request log in this terminal.
        logs = Path(settings.VAR_DIR) / "log"
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"{args[0]}.log").open("ab")
        return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
            [sys.executable, "-m", "gridgov.cli", *args], stdout=log, stderr=log
        )

    def _city(self, opts: dict[str, Any]) -> Region:
        city = Region.objects.filter(level=RegionLevel.CITY, name=opts["city"]).first()
        if city is not None:
            return city
        self.stdout.write(f"正在生成演示城市 {opts['province']} {opts['city']} (真实县界,县以下为合成数据)…")
        command = ["geo", "import-city", opts["province"], opts["city"]]
        if opts["grids"]:
            command += ["--grids", str(opts["grids"])]
        call_command(*command)
        return Region.objects.get(level=RegionLevel.CITY, name=opts["city"])
