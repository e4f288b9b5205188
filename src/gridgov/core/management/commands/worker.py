"""`gridgov worker`: run background tasks and the periodic jobs (docs/worker.md)."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string


class Command(BaseCommand):
    help = "Run the background worker: queued tasks, the deadline scan, notifications"

    def add_arguments(self, parser: CommandParser) -> None:
        env = os.environ.get
        parser.add_argument("--scan-every", type=float, default=float(env("GRIDGOV_SCAN_EVERY", "60")),
                            help="seconds between deadline scans (default 60)")  # fmt: skip
        parser.add_argument("--notify-every", type=float, default=float(env("GRIDGOV_NOTIFY_EVERY", "5")),
                            help="seconds between notification fan-outs (default 5)")  # fmt: skip
        parser.add_argument("--stats-every", type=float, default=float(env("GRIDGOV_STATS_EVERY", "5")),
                            help="seconds between indicator refreshes (default 5)")  # fmt: skip
        parser.add_argument("--housekeeping-every", type=float,
                            default=float(env("GRIDGOV_HOUSEKEEPING_EVERY", "21600")),
                            help="seconds between database housekeeping runs (default 6 h)")  # fmt: skip
        parser.add_argument("--bulletins-every", type=float,
                            default=float(env("GRIDGOV_BULLETINS_EVERY", "300")),
                            help="seconds between checks for due bulletins (default 300)")  # fmt: skip
        parser.add_argument("--lease", type=float, default=float(env("GRIDGOV_WORKER_LEASE", "30")),
                            help="seconds without heartbeat before a task is run again")  # fmt: skip
        parser.add_argument("--beat-every", type=float, default=None,
                            help="heartbeat period (default: lease / 6)")  # fmt: skip
        parser.add_argument("--interval", type=float, default=1.0, help="idle poll period in seconds")
        parser.add_argument("--queue", default="*", help="queues to run, comma-separated (default: all)")
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many tasks")
        parser.add_argument("--batch", action="store_true", help="run what is queued, then stop")
        parser.add_argument("--no-schedule", action="store_true", help="run tasks only, enqueue nothing")
        parser.add_argument("--worker-id", default="", help="unique id (default: host-pid-random)")

    def handle(self, *args: Any, **o: Any) -> None:
        from gridgov.cases.tasks import deadline_scan, notify_fanout
        from gridgov.core.housekeeping import database_housekeeping
        from gridgov.field.tasks import patrol_plans_today
        from gridgov.notify.worker import Schedule, run_worker
        from gridgov.reports.tasks import schedule_reports
        from gridgov.stats.tasks import stats_refresh

        log = logging.getLogger("gridgov.worker")
        if not log.handlers and not logging.getLogger("gridgov").handlers and not logging.root.handlers:
            logging.basicConfig(level=logging.INFO)
        lease = max(o["lease"], 1.0)
        beat = o["beat_every"] or max(lease / 6, 0.2)
        schedules = (
            []
            if o["no_schedule"]
            else [
                Schedule("cases.deadline_scan", deadline_scan, o["scan_every"]),
                Schedule("cases.notify_fanout", notify_fanout, o["notify_every"]),
                Schedule("stats.refresh", stats_refresh, o["stats_every"]),
                Schedule("core.housekeeping", database_housekeeping, o["housekeeping_every"]),
                Schedule("reports.schedule_reports", schedule_reports, o["bulletins_every"]),
                # Idempotent: hourly, so a day whose first run was missed still gets its plans.
                Schedule("field.patrol_plans_today", patrol_plans_today, 3600),
            ]
        )
        worker_id = o["worker_id"] or f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(6)}"
        run_worker(
            worker_id=worker_id[:64],
            schedules=schedules,
            lease=lease,
            beat_every=beat,
            interval=o["interval"],
            queue_names=o["queue"].split(","),
            max_tasks=o["max_tasks"],
            batch=o["batch"],
        )
