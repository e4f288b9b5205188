"""Worker tests: the cases fixtures, plus a database that real worker processes can share."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from tests.cases.conftest import _media, _pii_keys, _quick_passwords, monday  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
GRIDGOV = str(Path(sys.executable).with_name("gridgov"))


def _env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="gridgov.settings",
        PYTHONPATH=f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
        GRIDGOV_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("workerdb") / "template.sqlite3"
    subprocess.run(
        [GRIDGOV, "migrate", "--no-input", "-v", "0"], env=_env(f"sqlite:///{path}"), cwd=ROOT,
        check=True, timeout=300,
    )  # fmt: skip
    return path


@pytest.fixture
def shared_db(request, tmp_path, django_db_blocker) -> Iterator[str]:
    """A database URL that this test and worker subprocesses both see, committed as it goes.

    PostgreSQL, or SQLite in a file: the test database itself (transactional). SQLite in memory
    (the default): a migrated file database swapped in for this test's `default` connection."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    vendor = "sqlite" if "sqlite" in db["ENGINE"] else "postgresql"
    if vendor == "postgresql" or db.get("TEST", {}).get("NAME"):
        request.getfixturevalue("transactional_db")  # sets the test database up first
        name = str(connections["default"].settings_dict["NAME"])
        if vendor == "postgresql":
            s = connections["default"].settings_dict
            yield f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        else:
            yield f"sqlite:///{name}"
        return
    request.getfixturevalue("django_db_setup")
    template = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "shared.sqlite3"
    shutil.copy(template, path)
    original = connections["default"]
    swapped = original.__class__({**original.settings_dict, "NAME": str(path)}, alias="default")
    with django_db_blocker.unblock():
        connections["default"] = swapped
        try:
            yield f"sqlite:///{path}"
        finally:
            swapped.close()
            connections["default"] = original


class Workers:
    """Real `gridgov worker` processes on the shared database, stopped at the end."""

    def __init__(self, db_url: str, folder: Path) -> None:
        self.db_url, self.folder, self.procs = db_url, folder, []

    def start(self, *args: str) -> subprocess.Popen:
        n = len(self.procs)
        out = open(self.folder / f"worker{n}.log", "w")  # noqa: SIM115
        p = subprocess.Popen(
            [GRIDGOV, "worker", "--no-schedule", "--interval", "0.1", "--worker-id", f"w{n}-{os.getpid()}",
             *args],
            env=_env(self.db_url), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(p)
        return p

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self) -> str:
        return "\n".join(f.read_text() for f in sorted(self.folder.glob("worker*.log")))


@pytest.fixture
def workers(shared_db, tmp_path) -> Iterator[Workers]:
    w = Workers(shared_db, tmp_path)
    yield w
    w.stop()


def wait_for(predicate, *, timeout: float = 60.0, what: object = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
