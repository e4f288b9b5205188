"""Tasks the worker tests run in real worker processes (importable as tests.worker.jobs)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django_tasks import task

from gridgov.core import clock
from gridgov.notify.services import notification_send


@task()
def record(path: str, label: str, hold: float = 0.0) -> str:
    """Not idempotent on purpose: one line per run, so a second run of one task shows."""
    with open(path, "a") as f:
        f.write(f"{label} {os.getpid()}\n")
    time.sleep(hold)
    return label


@task()
def two_steps(folder: str, user_id: int) -> str:
    """Notifies, says it started, waits to be released (or killed), notifies again."""
    user = get_user_model().objects.get(pk=user_id)
    notification_send(users=[user], kind="other", key="two-steps:1", title="第一步", now=clock.now())
    with open(Path(folder) / "starts", "a") as f:
        f.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    notification_send(users=[user], kind="other", key="two-steps:2", title="第二步", now=clock.now())
    return "done"
