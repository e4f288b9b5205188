from __future__ import annotations

import getpass
import os
from argparse import ArgumentParser
from typing import Any

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center, Department
from gridgov.accounts.services import user_create
from gridgov.core.errors import NotFound

HELP = (
    "Create a user bound to a centre (--center REGION_CODE) or a department (--department CODE). "
    "The password is asked for, or read from GRIDGOV_PASSWORD."
)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--center", metavar="REGION_CODE", help="region code of the user's command centre")
    parser.add_argument("--department", metavar="CODE", help="code of the user's department")
    parser.add_argument("--display-name", default="")
    parser.add_argument(
        "--phone", default="", help="mainland mobile number for SMS notices (stored encrypted)"
    )
    parser.add_argument("--no-password", action="store_true", help="an account without a password (API only)")


def handle(options: dict[str, Any], out: Any) -> None:
    center = department = None
    if options["center"]:
        center = Center.objects.filter(region__code=options["center"]).first()
        if center is None:
            raise NotFound(
                f"区划 {options['center']} 没有指挥中心", f"no centre for region {options['center']}"
            )
    if options["department"]:
        department = Department.objects.filter(code=options["department"]).first()
        if department is None:
            raise NotFound(f"没有部门 {options['department']}", f"no department {options['department']}")
    password = None
    if not options["no_password"]:
        password = os.environ.get("GRIDGOV_PASSWORD") or getpass.getpass("密码 / password: ")
    user = user_create(
        username=options["username"],
        role=Role(options["role"]),
        password=password,
        center=center,
        department=department,
        display_name=options["display_name"],
        phone=options["phone"] or "",
    )
    out.write(f"已创建用户 {user.username} ({user.get_role_display()} · {user.unit}) / created")
