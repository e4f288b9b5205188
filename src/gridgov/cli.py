"""`gridgov <command>`: the project's management commands, as manage.py would run them."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gridgov", *sys.argv[1:]])


if __name__ == "__main__":
    main()
