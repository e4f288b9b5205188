"""The login page: Chinese, keyboard-friendly, audited, and locked after repeated failures."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from gridgov.core import clock
from gridgov.core.models import AuditAction, AuditLog
from tests.accounts.conftest import login

pytestmark = pytest.mark.django_db


def _audit(action: AuditAction, username: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action, username=username).order_by("id"))


def test_the_login_page_speaks_chinese_and_puts_the_cursor_in_the_username(client):
    page = client.get("/login/").content.decode()
    assert "用户名" in page and "密码" in page and ">登录</button>" in page
    username_input = re.search(r"<input[^>]*name=\"username\"[^>]*>", page).group(0)
    assert "autofocus" in username_input and 'autocomplete="username"' in username_input
    assert 'for="id_username"' in page and 'for="id_password"' in page
    assert '<button type="submit"' in page


def test_a_person_logs_in_and_the_login_is_audited_once(client, personas):
    response = login(client, "cl")
    assert response.status_code == 302
    assert client.get("/api/v1/accounts/me").json()["username"] == "cl"
    rows = _audit(AuditAction.LOGIN, "cl")
    assert len(rows) == 1 and rows[0].actor == personas.county_leader and rows[0].ip == "127.0.0.1"


def test_a_wrong_password_says_so_in_chinese_and_is_audited_once(client, personas):
    response = login(client, "cl", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert len(_audit(AuditAction.LOGIN_FAILED, "cl")) == 1


def test_an_unknown_username_fails_the_same_way_and_is_audited(client, personas):
    response = login(client, "nobody")
    assert "用户名或密码不正确" in response.content.decode()
    assert len(_audit(AuditAction.LOGIN_FAILED, "nobody")) == 1


def test_a_deactivated_account_cannot_log_in(client, personas):
    personas.county_leader.is_active = False
    personas.county_leader.save()
    response = login(client, "cl")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_repeated_failures_lock_the_account_with_a_clear_page(client, personas):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert login(client, "cl", "wrong-password").status_code == 200
    locked = login(client, "cl", "wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "账号已临时锁定" in page and f"连续 {limit} 次登录失败" in page and "1 小时" in page

    # Even the right password is refused while locked, and that attempt is audited as failed.
    again = login(client, "cl")
    assert again.status_code == 429
    assert not again.wsgi_request.user.is_authenticated

    failed = _audit(AuditAction.LOGIN_FAILED, "cl")
    assert len(failed) == limit + 1
    assert [row.detail["locked_out"] for row in failed] == [False] * (limit - 1) + [True, True]
    assert len(_audit(AuditAction.LOCKED_OUT, "cl")) == 1
    assert not _audit(AuditAction.LOGIN, "cl")


def test_the_lockout_is_per_username_and_address(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "cl", "wrong-password")
    assert login(client, "td").status_code == 302
    other_address = Client()
    assert login(other_address, "cl", REMOTE_ADDR="10.1.2.3").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "cl", "wrong-password")
    with time_machine.travel(clock.now() + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)):
        assert login(client, "cl").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "cl", "wrong-password")
    assert login(client, "cl").status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "cl", "wrong-password").status_code == 200


def test_logout_is_a_post_and_is_audited(client, personas):
    login(client, "cl")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/api/v1/accounts/me").status_code == 401
    assert len(_audit(AuditAction.LOGOUT, "cl")) == 1


def test_an_idle_session_expires_after_the_configured_time(client, personas):
    age = settings.SESSION_COOKIE_AGE
    assert age <= 8 * 3600
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        login(client, "cl")
        traveller.shift(timedelta(seconds=age - 60))
        # Activity keeps the session alive (core/sessions.py refreshes it at most once a minute)…
        assert client.get("/api/v1/accounts/me").status_code == 200
        traveller.shift(timedelta(seconds=age - 60))
        assert client.get("/api/v1/accounts/me").status_code == 200
        # …and idleness beyond the limit ends it.
        traveller.shift(timedelta(seconds=age + 1))
        assert client.get("/api/v1/accounts/me").status_code == 401
        assert client.get("/territory/").status_code == 302


def test_the_session_cookie_ends_with_the_browser(client, personas):
    response = login(client, "cl")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_a_logged_in_user_changes_its_password_under_the_policy(client, personas):
    login(client, "cl")
    weak = client.post(
        "/password/",
        {"old_password": "Test-Passw0rd!", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200
    text = weak.content.decode()
    assert "密码" in text and ("太短" in text or "至少" in text)
    ok = client.post(
        "/password/",
        {
            "old_password": "Test-Passw0rd!",
            "new_password1": "Neu-Kennw0rt#7",
            "new_password2": "Neu-Kennw0rt#7",
        },
    )
    assert ok.status_code == 302
    personas.county_leader.refresh_from_db()
    assert personas.county_leader.check_password("Neu-Kennw0rt#7")


def test_an_administrator_lifts_a_lockout_from_the_command_line(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "cl", "wrong-password")
    assert login(client, "cl").status_code == 429
    out = StringIO()
    call_command("accounts", "unlock", "cl", stdout=out)
    assert "已解除 cl 的锁定" in out.getvalue()
    assert login(client, "cl").status_code == 302


def test_requests_within_a_minute_do_not_rewrite_the_session_but_later_ones_extend_it(client, personas):
    # A wall screen polls every few seconds: writing the session row each time cost a write per
    # poll and let two requests of one page race on the same row.
    from django.contrib.sessions.models import Session

    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        login(client, "cl")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        first = Session.objects.get(session_key=key).expire_date
        traveller.shift(timedelta(seconds=30))
        assert client.get("/api/v1/accounts/me").status_code == 200
        assert Session.objects.get(session_key=key).expire_date == first
        traveller.shift(timedelta(seconds=31))
        assert client.get("/api/v1/accounts/me").status_code == 200
        assert Session.objects.get(session_key=key).expire_date == first + timedelta(seconds=61)
