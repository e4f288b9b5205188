from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from gridgov.accounts.models import User
from gridgov.accounts.tokens import token_revoke_all
from gridgov.core.errors import NotFound

HELP = "Revoke every live API token of a user."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("username")


def handle(options: dict[str, Any], out: Any) -> None:
    user = User.objects.filter(username=options["username"]).first()
    if user is None:
        raise NotFound(f"没有用户 {options['username']}", f"no user {options['username']}")
    count = token_revoke_all(user=user)
    out.write(f"已吊销 {user.username} 的 {count} 个令牌 / revoked {count} token(s)")
