"""Demo accounts: a centre at every level, about forty departments, a user for every role where
it matters, seeded in seconds, idempotent, and printed as a short list of logins that work."""

from __future__ import annotations

import math
import time
from collections import Counter

import pytest
from django.test import Client

from gridgov.accounts.demo import seed_demo_accounts
from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.core.errors import InvalidInput
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region
from tests.accounts.conftest import login

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Demo-Passw0rd!"


def _territory(city: Region) -> dict[str, int]:
    levels = Counter(Region.objects.filter(code__startswith=city.prefix).values_list("level", flat=True))
    per_community = Counter(
        Grid.objects.filter(code__startswith=city.prefix).values_list("community", flat=True)
    )
    return {
        "regions": sum(levels.values()),
        "counties": levels[RegionLevel.COUNTY],
        "townships": levels[RegionLevel.TOWNSHIP],
        "communities": levels[RegionLevel.COMMUNITY],
        "grids": sum(per_community.values()),
        "police": sum(math.ceil(n / 4) for n in per_community.values()),
    }


def test_it_seeds_a_centre_per_region_forty_odd_departments_and_a_user_per_role(world):
    t = _territory(world.city)
    started = time.monotonic()
    logins = seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    assert time.monotonic() - started < 10

    assert Center.objects.count() == t["regions"]
    assert Center.objects.get(region=world.city).name == "兰州市社会治理综合指挥中心"
    assert Center.objects.get(region=world.township).name == f"{world.township.name}综治中心"
    assert Center.objects.get(region=world.community).name == f"{world.community.name}网格工作站"

    departments = Department.objects.count()
    assert departments == 16 + 3 * t["counties"]
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles[Role.ADMIN] == 1
    assert roles[Role.LEADER] == 1 + t["counties"] + t["townships"]
    assert roles[Role.DISPATCHER] == 1 + t["counties"] + t["townships"] + t["communities"]
    assert roles[Role.ANALYST] == 1 + t["counties"]
    assert roles[Role.MEDIATOR] == t["counties"]
    assert roles[Role.GRID_HEAD] == t["communities"]
    assert roles[Role.HANDLER] == departments
    assert roles[Role.GRID_WORKER] == t["grids"]
    assert roles[Role.POLICE] == t["police"]

    duties = Counter(GridStaff.objects.values_list("duty", flat=True))
    assert duties == {GridDuty.WORKER: t["grids"], GridDuty.HEAD: t["grids"], GridDuty.POLICE: t["grids"]}
    assert {login.role for login in logins} == set(Role)


def test_the_usernames_are_easy_to_guess(world):
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    names = set(User.objects.values_list("username", flat=True))
    assert {"city_admin", "city_leader", "city_dispatcher", "city_analyst"} <= names
    assert {f"{world.county.code}_leader", f"{world.county.code}_mediator"} <= names
    assert f"{world.township.code}_dispatcher" in names
    assert f"{world.community.code}_head" in names
    assert f"gw_{world.grid.code}" in names
    assert f"hh_{world.county.code}_zjj" in names
    assert User.objects.get(username=f"hh_{world.county.code}_zjj").department.short_name == "住建局"


def test_running_it_twice_adds_nothing(world):
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    before = (
        User.objects.count(),
        Center.objects.count(),
        Department.objects.count(),
        GridStaff.objects.count(),
    )
    started = time.monotonic()
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    assert time.monotonic() - started < 10
    after = (
        User.objects.count(),
        Center.objects.count(),
        Department.objects.count(),
        GridStaff.objects.count(),
    )
    assert after == before


def test_every_printed_login_works_with_the_demo_password_and_sees_its_own_part(world):
    logins = seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    for demo in logins:
        client = Client()
        assert login(client, demo.username, DEMO_PASSWORD).status_code == 302, demo
        scope = client.get("/api/v1/accounts/me/scope").json()
        if demo.role == Role.GRID_WORKER:
            assert scope["kind"] == "grids" and scope["grids"] == 1
        elif demo.role == Role.HANDLER:
            assert scope["kind"] == "department"
        elif demo.role == Role.ADMIN:
            assert scope["kind"] == "everything"
        else:
            assert scope["kind"] in ("region", "grids") and scope["grids"] >= 1
        assert demo.description


def test_the_grid_worker_of_the_list_lies_in_the_first_county(world):
    logins = {d.role: d for d in seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)}
    first_county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    assert logins[Role.GRID_WORKER].username.startswith(f"gw_{first_county.code}")
    assert logins[Role.LEADER].username == f"{first_county.code}_leader"
    assert logins[Role.HANDLER].username == f"hh_{first_county.code}_zjj"


def test_a_weak_demo_password_is_refused_before_anything_is_written(world):
    with pytest.raises(InvalidInput):
        seed_demo_accounts(city=world.city, password="demo")
    assert not User.objects.exists()


def test_demo_people_have_plausible_chinese_names_that_stay_the_same(world):
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    worker = User.objects.get(username=f"gw_{world.grid.code}")
    assert 2 <= len(worker.display_name) <= 3
    assert all("\u4e00" <= ch <= "\u9fff" for ch in worker.display_name)
    first = dict(User.objects.values_list("username", "display_name"))
    User.objects.all().delete()
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    assert dict(User.objects.values_list("username", "display_name")) == first


def test_every_demo_user_gets_a_synthetic_phone_and_a_rerun_fills_older_ones(world):
    from gridgov.accounts.demo import demo_phone
    from gridgov.accounts.services import phone_check

    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    desk = User.objects.get(username="city_dispatcher")
    assert desk.phone == demo_phone("city_dispatcher") == phone_check(desk.phone)
    assert desk.phone.startswith("1990")
    assert not User.objects.filter(username__startswith="gw_", phone_index="").exists()
    # A user seeded before users had phones gets one on the next run.
    User.objects.filter(pk=desk.pk).update(phone="", phone_index="")
    seed_demo_accounts(city=world.city, password=DEMO_PASSWORD)
    desk.refresh_from_db()
    assert desk.phone == demo_phone("city_dispatcher")
    assert desk in User.objects.filter(phone_index=User._meta.get_field("phone").index_for(desk.phone))
