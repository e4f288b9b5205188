from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from gridgov.accounts.models import User
from gridgov.accounts.tokens import token_create
from gridgov.core.errors import NotFound

HELP = "Issue an API token for a user and print it (shown once; only its hash is kept)."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--name", default="", help="what the token is for, e.g. 12345 热线对接")
    parser.add_argument("--days", type=int, default=None, help="valid for N days (default: no expiry)")


def handle(options: dict[str, Any], out: Any) -> None:
    user = User.objects.filter(username=options["username"]).first()
    if user is None:
        raise NotFound(f"没有用户 {options['username']}", f"no user {options['username']}")
    # Only the token on stdout, so that scripts can capture it: TOKEN=$(gridgov accounts token …)
    out.write(token_create(user=user, name=options["name"], days=options["days"]))
