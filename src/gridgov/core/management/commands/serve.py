"""`gridgov serve`: the production-shaped server (gunicorn), also what the demo runs."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app and API with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRIDGOV_THREADS", "4")))

    def handle(self, *args: Any, **opts: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from gridgov.wsgi import application

        options = {
            "bind": opts["bind"],
            "workers": opts["workers"],
            "threads": opts["threads"],
            "accesslog": "-" if os.environ.get("GRIDGOV_ACCESS_LOG") == "1" else None,
            "timeout": 120,
            "graceful_timeout": 10,
        }

        class _App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        _App().run()
