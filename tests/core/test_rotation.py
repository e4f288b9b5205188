"""`gridgov core rotate-pii-keys` re-encrypts stored values under the newest key."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from gridgov.cases.models import Case
from gridgov.core import crypto
from gridgov.core.crypto import KeyRing
from tests.cases.conftest import Api, case_body, ok

pytestmark = pytest.mark.django_db

OLD = KeyRing(keys=(b"o" * 32,), index_key=b"i" * 32)
NEW = KeyRing(keys=(b"n" * 32, b"o" * 32), index_key=b"i" * 32)


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _raw(number: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reporter_phone FROM {Case._meta.db_table} WHERE number = %s", [number])  # noqa: S608
        return cursor.fetchone()[0]


def test_rotation_rewrites_old_ciphertexts_and_keeps_them_findable(world, personas, monday):
    crypto.keyring_reset(OLD)
    number = ok(Api(personas.city_dispatcher).create(case_body(world)), 201)["number"]
    assert crypto.key_id_of(_raw(number)) == OLD.newest_id
    crypto.keyring_reset(NEW)
    out = io.StringIO()
    call_command("core", "rotate-pii-keys", stdout=out)
    assert "cases.case.reporter_phone: 1" in out.getvalue()
    assert crypto.key_id_of(_raw(number)) == NEW.newest_id
    crypto.keyring_reset(KeyRing(keys=(b"n" * 32,), index_key=b"i" * 32))  # the old key retired
    case = Case.objects.get(number=number)
    assert case.reporter_phone == "13812345678"
    field = Case._meta.get_field("reporter_phone")
    assert Case.objects.filter(reporter_phone_index=field.index_for("138 1234 5678")).get() == case
