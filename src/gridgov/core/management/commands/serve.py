"""`gridgov serve`: the production-shaped server, also what the demo runs.

granian (HTTP in Rust, the Django app called through WSGI) by default; gunicorn is kept as
`--server gunicorn` (docs/decisions/0006-http-server.md: why, and what was measured). Both run
the same WSGI application with the same middleware: whitenoise serves the static files either way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

SERVERS = ("granian", "gunicorn")
TARGET = "gridgov.wsgi:application"
# A worker that does not stop within this many seconds of SIGTERM/Ctrl-C is killed: requests
# in flight get this long to finish.
GRACEFUL_SECONDS = 10


def _bind(value: str) -> tuple[str, int] | Path:
    """'host:port', ':port' or 'unix:/path' (the forms gunicorn accepts for one address)."""
    if value.startswith("unix:"):
        return Path(value[len("unix:") :])
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise CommandError(f"--bind wants host:port or unix:/path, not {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - ':port' means every address, as in gunicorn


class Command(BaseCommand):
    help = "Serve the web app and API (granian by default, or gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WORKERS", "2")))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("GRIDGOV_THREADS", "4")),
            help="threads per worker process that run the Django app",
        )
        parser.add_argument("--server", choices=SERVERS, default=os.environ.get("GRIDGOV_SERVER", "granian"))

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["server"] not in SERVERS:  # GRIDGOV_SERVER is not checked by argparse's choices
            raise CommandError(f"--server must be one of {', '.join(SERVERS)}, not {opts['server']!r}")
        # The workers are forked from this process: none may inherit a database connection.
        connections.close_all()
        access_log = os.environ.get("GRIDGOV_ACCESS_LOG") == "1"
        if opts["server"] == "granian":
            self._granian(opts, access_log)
        else:
            self._gunicorn(opts, access_log)

    def _granian(self, opts: dict[str, Any], access_log: bool) -> None:
        from granian.constants import Interfaces
        from granian.server import Server

        bind = _bind(opts["bind"])
        where: dict[str, Any] = (
            {"uds": bind} if isinstance(bind, Path) else {"address": bind[0], "port": bind[1]}
        )
        Server(
            TARGET,
            interface=Interfaces.WSGI,
            workers=opts["workers"],
            # The threads that run the app: as many requests per process at once as gunicorn's
            # threads; HTTP parsing and the connections stay in granian's Rust runtime.
            blocking_threads=opts["threads"],
            websockets=False,
            log_access=access_log,
            # A worker that dies (out of memory, a crash in a C extension) is started again.
            respawn_failed_workers=True,
            workers_kill_timeout=GRACEFUL_SECONDS,
            **where,
        ).serve()

    def _gunicorn(self, opts: dict[str, Any], access_log: bool) -> None:
        from gunicorn.app.base import BaseApplication

        from gridgov.wsgi import application

        options = {
            "bind": opts["bind"],
            "workers": opts["workers"],
            "threads": opts["threads"],
            "accesslog": "-" if access_log else None,
            "timeout": 120,
            "graceful_timeout": GRACEFUL_SECONDS,
        }

        class _App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        _App().run()
