"""`gridgov worker`: django-tasks-db's worker loop, plus what it lacks (docs/worker.md).

django-tasks-db claims a task with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) or an
EXCLUSIVE transaction (SQLite) and marks it RUNNING, so two workers never start one task. But a
worker killed while running leaves its task RUNNING for ever. Here every worker beats a
heartbeat row from a side thread; a RUNNING task whose worker has not beaten for `lease` seconds
is handed back to the queue (READY) by any live worker's housekeeping, and run again. After
MAX_ATTEMPTS claims it is marked FAILED instead (a task that kills its worker every time).

The same housekeeping thread enqueues the periodic jobs, one per period (`ScheduledRun`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from gridgov.notify.models import ScheduledRun, WorkerHeartbeat

log = logging.getLogger("gridgov.worker")

MAX_ATTEMPTS = 3


class WorkerLost(Exception):
    """The worker running this task stopped beating (killed, or the machine died)."""


@dataclass(frozen=True)
class Schedule:
    name: str
    task: Any  # a django_tasks Task taking no arguments
    every: float  # seconds


def heartbeat(worker_id: str, *, started_at: Any = None) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "beat_at": now,
            "started_at": started_at or now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def tasks_reclaim(*, lease: float, now: Any = None) -> list[str]:
    """Put back to READY every RUNNING task whose worker's heartbeat is older than `lease`
    seconds (or absent). Returns the ids handed back."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease)
    alive = set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    back: list[str] = []
    with transaction.atomic():
        running = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
        if connections[running.db].features.has_select_for_update_skip_locked:
            running = running.select_for_update(skip_locked=True)
        for r in running:
            owner = r.worker_ids[-1] if r.worker_ids else None
            if owner in alive:
                continue
            if len(r.worker_ids) >= MAX_ATTEMPTS:
                r.status = TaskResultStatus.FAILED
                r.finished_at = now
                r.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
                r.traceback = f"worker {owner} lost; {len(r.worker_ids)} attempts, giving up"
                r.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                log.error(
                    "task %s (%s) failed: its worker died %d times", r.id, r.task_path, len(r.worker_ids)
                )
            else:
                # Keep worker_ids: its length counts the attempts.
                DBTaskResult.objects.filter(pk=r.pk).update(status=TaskResultStatus.READY, started_at=None)
                log.warning("task %s (%s) reclaimed from lost worker %s", r.id, r.task_path, owner)
                back.append(str(r.id))
    # Rows of workers gone for a day are only history.
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return back


def schedule_due(schedules: list[Schedule], *, wall: Callable[[], float] = time.time) -> list[str]:
    """Enqueue each periodic job whose period has begun and that is not queued or running yet.
    Safe from any number of workers at once: the unique (name, slot) row is created in the same
    transaction as the task row, so exactly one of them enqueues a period."""
    enqueued = []
    for s in schedules:
        slot = int(wall() // s.every)
        if ScheduledRun.objects.filter(name=s.name, slot=slot).exists():
            continue
        pending = DBTaskResult.objects.filter(
            task_path=s.task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        )
        if pending.exists():
            continue  # the last one has not finished: do not pile up
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=s.name, slot=slot, created_at=timezone.now())
                result = s.task.enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue
        enqueued.append(s.name)
        log.info("scheduled %s (slot %d)", s.name, slot)
    ScheduledRun.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return enqueued


class Housekeeper(threading.Thread):
    """Beats, reclaims, schedules; on its own thread (and database connection), so a long task
    on the main thread does not stop the heartbeat."""

    def __init__(self, *, worker_id: str, lease: float, beat_every: float, schedules: list[Schedule]) -> None:
        super().__init__(name="gridgov-housekeeper", daemon=True)
        self.worker_id, self.lease, self.beat_every, self.schedules = worker_id, lease, beat_every, schedules
        self.stop = threading.Event()
        self.started_at = timezone.now()

    def once(self) -> None:
        heartbeat(self.worker_id, started_at=self.started_at)
        tasks_reclaim(lease=self.lease)
        schedule_due(self.schedules)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    close_old_connections()
                    self.once()
                except Exception:
                    log.exception("housekeeping failed; trying again in %.0f s", self.beat_every)
                self.stop.wait(self.beat_every)
        finally:
            connections.close_all()


def run_worker(
    *,
    worker_id: str,
    schedules: list[Schedule],
    lease: float = 30.0,
    beat_every: float = 5.0,
    interval: float = 1.0,
    queue_names: list[str] | None = None,
    max_tasks: int | None = None,
    batch: bool = False,
) -> None:
    heartbeat(worker_id)  # before the first claim, so no peer reclaims what we are about to run
    keeper = Housekeeper(worker_id=worker_id, lease=lease, beat_every=beat_every, schedules=schedules)
    keeper.start()
    worker = Worker(
        queue_names=queue_names or ["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()  # SIGTERM/SIGINT: finish the running task, then stop
    log.info("worker %s started (lease %.0f s, pid %d)", worker_id, lease, os.getpid())
    try:
        worker.run()
    finally:
        keeper.stop.set()
        keeper.join(timeout=beat_every + 5)
        # Gone for good: a graceful stop hands nothing back, nothing is running.
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
        log.info("worker %s stopped", worker_id)
