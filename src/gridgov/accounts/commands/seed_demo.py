from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from gridgov.accounts.demo import seed_demo_accounts
from gridgov.core.errors import NotFound
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region

HELP = "Create the demo centres, departments and users of an imported city (idempotent)."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("city", help="city name or code, e.g. 兰州市 or 620100")
    parser.add_argument("--password", default="Demo-Passw0rd!", help="the one password of all demo users")


def handle(options: dict[str, Any], out: Any) -> None:
    city = Region.objects.filter(level=RegionLevel.CITY, code=options["city"]).first()
    city = city or Region.objects.filter(level=RegionLevel.CITY, name=options["city"]).first()
    if city is None:
        raise NotFound(f"没有已导入的城市 {options['city']}", f"no imported city {options['city']}")
    for login in seed_demo_accounts(city=city, password=options["password"], out=out):
        out.write(f"  {login.username:<28} {login.description}")
