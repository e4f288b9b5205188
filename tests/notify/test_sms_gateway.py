"""The SMS adapter against a real HTTP gateway on 127.0.0.1: staff notices reach the number on
the user's (encrypted) record; a failing gateway is tried again with backoff and each delivery
row says what went wrong; a permanent refusal is not retried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.accounts.enums import Role
from gridgov.accounts.services import user_set_phone
from gridgov.core import clock
from gridgov.notify.enums import DeliveryStatus, NotificationKind
from gridgov.notify.models import Delivery
from gridgov.notify.services import MAX_ATTEMPTS, backoff, deliveries_retry, notification_send
from tests.conftest import _center, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world, personas):
    user = make_user("sms-desk", Role.DISPATCHER, center=_center(world.county))
    return user_set_phone(user=user, phone="+86 139-0000-1234")


def send(django_capture_on_commit_callbacks, users, key="notice:1", title="督办单:620102-20260302-0001"):
    with django_capture_on_commit_callbacks(execute=True):
        return notification_send(
            users=users, kind=NotificationKind.SUPERVISION, key=key, title=title,
            case_number="620102-20260302-0001", now=clock.now(),
        )  # fmt: skip


def sms_row(user) -> Delivery:
    return Delivery.objects.get(channel="sms_http", user=user)


def test_a_staff_notice_reaches_the_gateway_with_the_users_own_number(
    sms_http, staff, monday, django_capture_on_commit_callbacks
):
    assert send(django_capture_on_commit_callbacks, [staff]) == 1
    assert len(sms_http.received) == 1
    got = sms_http.received[0]
    assert got["phone"] == "13900001234"  # normalised, decrypted only to send
    assert "督办单" in got["text"] and "620102-20260302-0001" in got["text"]
    assert got["reference"] == "notice:1"
    assert sms_http.headers[0]["Authorization"] == "Bearer test-token"
    row = sms_row(staff)
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 1, "")
    # The same cause again sends nothing.
    send(django_capture_on_commit_callbacks, [staff])
    deliveries_retry(now=clock.now())
    assert len(sms_http.received) == 1


def test_a_failing_gateway_is_retried_with_backoff_and_the_row_records_each_failure(
    sms_http, staff, monday, django_capture_on_commit_callbacks
):
    sms_http.answers = [503, 503]
    send(django_capture_on_commit_callbacks, [staff])
    row = sms_row(staff)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "503" in row.error and "网关繁忙" in row.error
    assert row.next_attempt_at == clock.now() + backoff(1) == clock.now() + timedelta(minutes=1)
    # Before the backoff has passed, a retry run leaves it alone.
    deliveries_retry(now=clock.now() + timedelta(seconds=30))
    assert sms_http.hits == 1
    monday.shift(timedelta(minutes=1))
    deliveries_retry(now=clock.now())
    row = sms_row(staff)
    assert (sms_http.hits, row.status, row.attempts) == (2, DeliveryStatus.PENDING, 2)
    assert row.next_attempt_at == clock.now() + timedelta(minutes=2)  # doubled
    monday.shift(timedelta(minutes=2))
    deliveries_retry(now=clock.now())
    row = sms_row(staff)
    assert (sms_http.hits, row.status, row.attempts, row.error) == (3, DeliveryStatus.SENT, 3, "")
    assert len(sms_http.received) == 1
    # The log channel was not held up by the SMS gateway's trouble.
    assert Delivery.objects.get(channel="log", user=staff).status == DeliveryStatus.SENT


def test_a_gateway_down_for_good_is_given_up_after_the_last_attempt(
    sms_http, staff, monday, django_capture_on_commit_callbacks
):
    sms_http.answers = [503] * MAX_ATTEMPTS
    send(django_capture_on_commit_callbacks, [staff])
    for attempt in range(2, MAX_ATTEMPTS + 1):
        monday.shift(backoff(attempt - 1))
        deliveries_retry(now=clock.now())
    row = sms_row(staff)
    assert (row.status, row.attempts, sms_http.hits) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, MAX_ATTEMPTS)
    assert row.error.startswith(f"attempt {MAX_ATTEMPTS}: gateway answered 503")
    monday.shift(timedelta(hours=2))
    deliveries_retry(now=clock.now())
    assert sms_http.hits == MAX_ATTEMPTS


def test_a_refused_number_is_not_retried_and_a_user_without_a_phone_fails_at_once(
    sms_http, staff, personas, monday, django_capture_on_commit_callbacks
):
    sms_http.answers = [400]
    no_phone = personas.city_dispatcher
    send(django_capture_on_commit_callbacks, [staff, no_phone])
    row = sms_row(staff)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1) and "400" in row.error
    other = sms_row(no_phone)
    assert other.status == DeliveryStatus.FAILED and "no phone number" in other.error
    monday.shift(timedelta(hours=1))
    deliveries_retry(now=clock.now())
    assert sms_http.hits == 1


def test_an_unreachable_gateway_is_a_temporary_failure(
    settings, staff, monday, django_capture_on_commit_callbacks
):
    settings.GRIDGOV = {
        **settings.GRIDGOV,
        "NOTIFY_BACKENDS": ["sms_http"],
        "SMS_GATEWAY_URL": "http://127.0.0.1:9/",
    }
    send(django_capture_on_commit_callbacks, [staff])
    row = sms_row(staff)
    assert row.status == DeliveryStatus.PENDING and "unreachable" in row.error
    assert row.next_attempt_at is not None
