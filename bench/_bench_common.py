"""Shared by bench/intake.py and bench/deadline_scan.py: throwaway databases, the child-process
environment, the Lanzhou territory with demo accounts, the machine line of the report."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_DSN = "host=127.0.0.1 port=5432 user=postgres"
BENCH_PASSWORD = "Bench-Passw0rd!"  # noqa: S105 - demo accounts of a throwaway database


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def child_env(*, tmp: str, database_url: str, settings: str = "bench.settings_bench") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GRIDGOV_VAR=tmp,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        GRIDGOV_LOG_LEVEL="WARNING",
        SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",  # noqa: S106
    )
    return env


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True) as conn:
        conn.execute(sql)


def pg_create(name: str) -> str:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def pg_drop(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_available() -> str | None:
    try:
        pg_admin("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL on 127.0.0.1:5432 not reachable ({exc.__class__.__name__})"
    return None


def run_child(script: Path, args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(script), *args], check=True, cwd=ROOT, env=env)


def build_city(province: str = "甘肃省", city_name: str = "兰州市") -> Any:
    """In a child with Django set up: migrate, import the real territory, seed demo accounts."""
    import time

    from django.core.management import call_command

    from gridgov.accounts.demo import seed_demo_accounts
    from gridgov.geo.enums import RegionLevel
    from gridgov.geo.models import Region

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("geo", "import-city", province, city_name, "--quiet")
    city = Region.objects.get(level=RegionLevel.CITY, name=city_name)
    seed_demo_accounts(city=city, password=BENCH_PASSWORD, out=None)
    log(f"  territory {city_name} and demo accounts: {time.perf_counter() - started:.1f} s")
    return city


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores (nproc); {platform.platform()}; Python {platform.python_version()}"
