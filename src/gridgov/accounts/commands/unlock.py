from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from axes.utils import reset

HELP = "Lift the lockout of a username after repeated failed logins (from every address)."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("username")


def handle(options: dict[str, Any], out: Any) -> None:
    count = reset(username=options["username"])
    out.write(f"已解除 {options['username']} 的锁定({count} 条失败记录)/ unlocked")
