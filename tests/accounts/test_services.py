"""The writers of accounts: bindings that fit the role, grid duties inside the centre's region,
and the password policy, each refused with a message in Chinese and English."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import CommandError, call_command

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.accounts.services import (
    center_create,
    department_create,
    grid_staff_assign,
    user_bind,
    user_create,
    user_set_password,
)
from gridgov.core.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db

GOOD = "Lanzhou-2024!x"


@pytest.fixture
def county_centre(world) -> Center:
    return Center.objects.filter(region=world.county).first() or center_create(region=world.county)


def test_a_centre_is_named_after_its_level(world):
    assert center_create(region=world.city).name == "兰州市社会治理综合指挥中心"
    assert center_create(region=world.township).name.endswith("综治中心")
    assert center_create(region=world.community).name.endswith("网格工作站")
    with pytest.raises(Conflict):
        center_create(region=world.city)


def test_a_user_is_created_with_an_argon2_hash(world, county_centre):
    user = user_create(
        username="county_dispatcher", role=Role.DISPATCHER, password=GOOD, center=county_centre
    )
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(GOOD)


def test_a_handler_needs_a_department_and_no_centre(world, county_centre, housing_bureau):
    with pytest.raises(InvalidInput) as refused:
        user_create(username="h1", role=Role.HANDLER, password=GOOD, center=county_centre)
    assert refused.value.message_zh == "部门处置人员必须隶属于一个职能部门"
    assert "department" in refused.value.message_en
    assert user_create(username="h2", role=Role.HANDLER, password=GOOD, department=housing_bureau).unit == (
        housing_bureau
    )


def test_other_roles_need_a_centre(world, housing_bureau):
    with pytest.raises(InvalidInput, match="command centre"):
        user_create(username="d1", role=Role.DISPATCHER, password=GOOD, department=housing_bureau)
    with pytest.raises(InvalidInput):
        user_create(username="d2", role=Role.LEADER, password=GOOD)
    assert not User.objects.filter(username__in=["d1", "d2"]).exists()


def test_the_database_refuses_a_department_for_a_non_handler_even_past_the_services(world, housing_bureau):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="sneaky", role=Role.LEADER, department=housing_bureau)


def test_a_grid_worker_is_put_on_a_grid_of_its_own_centre_only(world, personas):
    gw = personas.grid_worker
    assert grid_staff_assign(user=gw, grid=world.other_grid, duty=GridDuty.WORKER).grid == world.other_grid
    with pytest.raises(InvalidInput) as refused:
        grid_staff_assign(user=gw, grid=world.far_grid, duty=GridDuty.WORKER)
    assert refused.value.code == "grid_outside_center"
    assert "不在" in refused.value.message_zh


def test_a_duty_must_fit_the_role(world, personas):
    with pytest.raises(InvalidInput, match="cannot serve"):
        grid_staff_assign(user=personas.grid_worker, grid=world.grid, duty=GridDuty.POLICE)
    with pytest.raises(InvalidInput):
        grid_staff_assign(user=personas.housing_handler, grid=world.grid, duty=GridDuty.VOLUNTEER)


def test_assigning_the_same_duty_twice_keeps_one_row(world, personas):
    grid_staff_assign(user=personas.grid_worker, grid=world.grid, duty=GridDuty.WORKER)
    assert GridStaff.objects.filter(user=personas.grid_worker).count() == 1


def test_moving_a_grid_worker_to_another_county_is_refused_while_it_serves_grids_here(world, personas):
    other_centre = Center.objects.filter(region=world.other_county).first()
    with pytest.raises(InvalidInput, match="outside"):
        user_bind(user=personas.grid_worker, role=Role.GRID_WORKER, center=other_centre)
    personas.grid_worker.refresh_from_db()
    assert personas.grid_worker.center.region == world.community


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1!", "太短"),
        ("password123", "常见"),
        ("83749201573", "只包含数字"),
        ("lowercaseonlyletters", "至少三类"),
        ("county_dispatcher!A1", "相似"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(world, county_centre, password, expected):
    with pytest.raises(InvalidInput) as refused:
        user_create(
            username="county_dispatcher", role=Role.DISPATCHER, password=password, center=county_centre
        )
    assert expected in refused.value.message_zh, refused.value.message_zh
    assert refused.value.message_en and refused.value.message_en != refused.value.message_zh
    assert not User.objects.filter(username="county_dispatcher").exists()


def test_changing_a_password_applies_the_same_policy(personas):
    with pytest.raises(InvalidInput):
        user_set_password(user=personas.county_leader, password="short")
    user_set_password(user=personas.county_leader, password=GOOD)
    assert personas.county_leader.check_password(GOOD)


def test_departments_have_unique_codes(world):
    department_create(region=world.county, code="X-ZJJ", name="住建局")
    with pytest.raises(Conflict):
        department_create(region=world.county, code="X-ZJJ", name="住建局")


def test_the_command_line_creates_a_bound_user(world, county_centre, monkeypatch):
    monkeypatch.setenv("GRIDGOV_PASSWORD", GOOD)
    out = StringIO()
    call_command(
        "accounts",
        "create-user",
        "county_mediator",
        "--role",
        "mediator",
        "--center",
        world.county.code,
        stdout=out,
    )
    assert "已创建用户 county_mediator" in out.getvalue()
    assert User.objects.get(username="county_mediator").center == county_centre
    monkeypatch.setenv("GRIDGOV_PASSWORD", "123")
    with pytest.raises(CommandError, match="太短"):
        call_command(
            "accounts", "create-user", "weakling", "--role", "mediator", "--center", world.county.code
        )


def test_createsuperuser_makes_a_system_admin(db):
    root = User.objects.create_superuser("first_root", password=GOOD)
    assert root.role == Role.ADMIN and root.center is None


def test_departments_are_not_shared_between_counties(world, housing_bureau):
    assert Department.objects.get(code=housing_bureau.code).region == world.county
