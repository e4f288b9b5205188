"""`gridgov <group> <subcommand>`: one Django command per domain whose subcommands live in
small modules (`<domain>/commands/<name>.py`), so that each is its own file.

A subcommand module defines HELP, add_arguments(parser) and handle(options, out), where out
is the command's stdout wrapper. Module names use underscores; the command line uses dashes.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.errors import DomainError


class GroupCommand(BaseCommand):
    package: str = ""  # e.g. "gridgov.geo.commands"

    def _modules(self) -> dict[str, ModuleType]:
        pkg = importlib.import_module(self.package)
        found = {}
        for info in pkgutil.iter_modules(pkg.__path__):
            if not info.name.startswith("_"):
                found[info.name.replace("_", "-")] = importlib.import_module(f"{self.package}.{info.name}")
        return found

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, module in sorted(self._modules().items()):
            p = sub.add_parser(
                name, help=getattr(module, "HELP", ""), description=getattr(module, "HELP", "")
            )
            module.add_arguments(p)

    def handle(self, *args: Any, **options: Any) -> None:
        module = self._modules()[options["subcommand"]]
        try:
            module.handle(options, self.stdout)
        except DomainError as exc:
            raise CommandError(exc.as_dict()["message"]) from exc
