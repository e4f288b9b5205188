"""`gridgov export <register> -o FILE`: export a register to CSV or XLSX, masked unless
--unmask with --reason (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.accounts.models import User
from gridgov.bulk.enums import RegisterKind
from gridgov.bulk.exporting import export_to_path
from gridgov.core.errors import DomainError


class Command(BaseCommand):
    help = "导出登记簿 / Export a register to CSV or XLSX (personal data masked unless --unmask --reason)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("register", choices=[k.value for k in RegisterKind])
        parser.add_argument("-o", "--output", type=Path, required=True, help="FILE.csv or FILE.xlsx")
        parser.add_argument("--user", default="", help="export as this user (scope, unmask right)")
        parser.add_argument("--region", default="", help="only this region's code (and below)")
        parser.add_argument("--unmask", action="store_true", help="full ID numbers and phones (audited)")
        parser.add_argument(
            "--reason", default="", help="why the full values are needed (required with --unmask)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = None
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"没有用户 {opts['user']} / no such user")
        out: Path = opts["output"]
        fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
        try:
            n = export_to_path(
                opts["register"],
                out,
                user=actor,
                fmt=fmt,
                unmask=opts["unmask"],
                reason=opts["reason"],
                region_code=opts["region"],
            )
        except DomainError as exc:
            out.unlink(missing_ok=True)
            raise CommandError(exc.as_dict()["message"]) from exc
        self.stdout.write(f"导出 {n} 行 / exported {n} rows: {out}")
