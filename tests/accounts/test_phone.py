"""Staff phone numbers: a mainland mobile, validated with a Chinese message, stored encrypted
with a blind index, never shown in clear in the admin; set by the command line and the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center, User
from gridgov.accounts.services import phone_check, user_create, user_set_phone
from gridgov.core.errors import InvalidInput
from tests.cases.conftest import _pii_keys  # noqa: F401  (autouse: the test key ring)

pytestmark = pytest.mark.django_db

GOOD = "Lanzhou-2024!x"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("008619912345678", "19912345678"),
     ("", "")],
)  # fmt: skip
def test_a_mainland_mobile_is_kept_in_its_normal_form(raw, normal):
    assert phone_check(raw) == normal


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "0931-8888888", "电话"])
def test_anything_else_is_refused_in_chinese_first(raw):
    with pytest.raises(InvalidInput) as caught:
        phone_check(raw)
    assert caught.value.code == "bad_phone" and "中国大陆手机号" in caught.value.message_zh


def test_the_phone_is_stored_encrypted_and_found_by_its_blind_index(world, personas):
    user = user_set_phone(user=personas.county_leader, phone="139 0000 1234")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        stored = cursor.fetchone()[0]
    assert stored and "13900001234" not in stored
    field = User._meta.get_field("phone")
    assert User.objects.get(phone_index=field.index_for("+8613900001234")) == user
    assert User.objects.get(pk=user.pk).phone == "13900001234"
    user_set_phone(user=user, phone="")
    assert User.objects.get(pk=user.pk).phone_index == ""


def test_the_command_line_sets_a_phone_and_refuses_a_bad_one(world, monkeypatch):
    monkeypatch.setenv("GRIDGOV_PASSWORD", GOOD)
    Center.objects.get_or_create(region=world.county, defaults={"name": "县中心"})
    call_command(
        "accounts", "create-user", "desk_with_phone", "--role", "dispatcher",
        "--center", world.county.code, "--phone", "13912345678", stdout=StringIO(),
    )  # fmt: skip
    assert User.objects.get(username="desk_with_phone").phone == "13912345678"
    with pytest.raises(CommandError, match="中国大陆手机号"):
        call_command(
            "accounts", "create-user", "desk_bad_phone", "--role", "dispatcher",
            "--center", world.county.code, "--phone", "12345",
        )  # fmt: skip
    assert not User.objects.filter(username="desk_bad_phone").exists()


def test_user_create_refuses_a_bad_phone_and_writes_nothing(world):
    centre, _ = Center.objects.get_or_create(region=world.county, defaults={"name": "县中心"})
    with pytest.raises(InvalidInput):
        user_create(username="x1", role=Role.DISPATCHER, password=GOOD, center=centre, phone="110")
    assert not User.objects.filter(username="x1").exists()


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas.admin)
    return client


def _change_form(user, **extra):
    form = {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "center": user.center_id or "", "department": user.department_id or "", "email": "",
        "is_active": "on", "date_joined_0": "2024-01-01", "date_joined_1": "08:00:00",
        "grid_duties-TOTAL_FORMS": "0", "grid_duties-INITIAL_FORMS": "0",
    }  # fmt: skip
    form.update(extra)
    return form


def test_the_admin_shows_the_phone_masked_and_replaces_or_keeps_it(admin_client, personas):
    user = user_set_phone(user=personas.county_leader, phone="13900001234")
    listing = admin_client.get("/admin/accounts/user/").content.decode()
    assert "139****1234" in listing and "13900001234" not in listing
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "139****1234" in page and "13900001234" not in page
    # Saving without a new number keeps the old one.
    assert admin_client.post(url, _change_form(user)).status_code == 302
    assert User.objects.get(pk=user.pk).phone == "13900001234"
    # A bad number is refused with the Chinese reason, nothing changes.
    response = admin_client.post(url, _change_form(user, new_phone="12345"))
    assert response.status_code == 200 and "中国大陆手机号" in response.content.decode()
    assert User.objects.get(pk=user.pk).phone == "13900001234"
    assert admin_client.post(url, _change_form(user, new_phone="+86 137 0000 5678")).status_code == 302
    assert User.objects.get(pk=user.pk).phone == "13700005678"
    assert admin_client.post(url, _change_form(user, clear_phone="on")).status_code == 302
    assert User.objects.get(pk=user.pk).phone == ""


def test_the_admin_adds_a_user_with_a_phone(admin_client, personas):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "added_desk", "usable_password": "true", "password1": GOOD, "password2": GOOD,
            "display_name": "新坐席", "role": Role.DISPATCHER, "center": personas.county_leader.center_id,
            "department": "", "new_phone": "13811112222",
            "grid_duties-TOTAL_FORMS": "0", "grid_duties-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="added_desk").phone == "13811112222"
