"""API tokens: issued by the command line, sent as `Authorization: Bearer …`, and refused once
revoked, expired, malformed, or when their user is stopped. Browsers use their session."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from gridgov.accounts.models import ApiToken
from gridgov.accounts.services import user_deactivate
from gridgov.core import clock
from gridgov.core.models import AuditAction, AuditLog
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"


def issue(username: str, *args: str) -> str:
    out = StringIO()
    call_command("accounts", "token", username, *args, stdout=out)
    return out.getvalue().strip()


def test_a_token_from_the_command_line_opens_the_api(personas):
    token = issue("hh", "--name", "12345 热线对接")
    response = Client().get(ME, **bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "hh"
    assert body["role"] == "handler" and body["role_label"] == "部门处置人员"
    assert body["department"] == personas.housing_handler.department.name
    assert body["center"] is None


def test_only_the_tokens_hash_is_stored_and_its_issue_is_audited(personas):
    token = issue("hh", "--name", "对接")
    row = ApiToken.objects.get(user=personas.housing_handler)
    assert token not in (row.digest, row.prefix) and len(row.digest) == 64
    assert token.startswith("ggv_" + row.prefix)
    audit = AuditLog.objects.get(action=AuditAction.TOKEN_CREATED)
    assert audit.detail["user"] == "hh" and token not in str(audit.detail)


def test_no_token_and_a_garbage_token_get_401(personas):
    assert Client().get(ME).status_code == 401
    assert Client().get(ME, **bearer("ggv_not-a-real-token")).status_code == 401
    assert Client().get(ME, **bearer("something else")).status_code == 401
    assert Client().get(ME, HTTP_AUTHORIZATION="Basic aGg6eA==").status_code == 401


def test_a_revoked_token_gets_401(personas):
    token = issue("hh")
    out = StringIO()
    call_command("accounts", "revoke-tokens", "hh", stdout=out)
    assert "1" in out.getvalue()
    assert Client().get(ME, **bearer(token)).status_code == 401
    audit = AuditLog.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert audit.detail == {"user": "hh", "count": 1}


def test_revoking_nothing_writes_no_audit_row(personas):
    call_command("accounts", "revoke-tokens", "hh", stdout=StringIO())
    assert not AuditLog.objects.filter(action=AuditAction.TOKEN_REVOKED).exists()


def test_an_expired_token_gets_401(personas):
    token = issue("hh", "--days", "7")
    assert Client().get(ME, **bearer(token)).status_code == 200
    with time_machine.travel(clock.now() + timedelta(days=7, seconds=1)):
        assert Client().get(ME, **bearer(token)).status_code == 401


def test_the_token_of_a_deactivated_user_gets_401(personas):
    token = issue("hh")
    user_deactivate(user=personas.housing_handler)
    assert Client().get(ME, **bearer(token)).status_code == 401


def test_a_token_for_an_unknown_user_is_a_clear_error(personas):
    with pytest.raises(CommandError, match="没有用户"):
        issue("nobody")
    with pytest.raises(CommandError, match="有效天数"):
        issue("hh", "--days", "0")


def test_the_browsers_session_opens_the_api_too(client, personas):
    client.force_login(personas.grid_worker)
    assert client.get(ME).json()["username"] == "gw"
    assert client.get("/api/v1/accounts/me/scope").status_code == 200


def test_last_use_is_recorded_without_a_write_per_request(personas):
    token = issue("hh")
    c = Client()
    c.get(ME, **bearer(token))
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    c.get(ME, **bearer(token))
    assert ApiToken.objects.get().last_used_at == first
