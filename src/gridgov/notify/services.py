"""The writers of notifications, and the outbox cursor the fan-out job reads with."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import F, Q

from gridgov.core.errors import NotFound
from gridgov.notify.backends import Backend, DeliveryError, Message, backends
from gridgov.notify.enums import DeliveryStatus, NotificationKind
from gridgov.notify.models import CitizenMessage, Delivery, Notification, OutboxCursor

log = logging.getLogger("gridgov.notify")

# A delivery claimed longer ago than this is taken to belong to a dead worker and tried again.
DELIVERY_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)

M = TypeVar("M", bound=models.Model)


def notification_send(
    *,
    users: Iterable[Any],
    kind: NotificationKind | str,
    key: str,
    title: str,
    body: str = "",
    case_number: str = "",
    now: datetime,
) -> int:
    """In-app to every user, then every configured outside channel. Idempotent per (user, key):
    calling it again for the same cause creates and sends nothing new. Returns the number of
    in-app notifications that are new."""
    users = [u for u in users if getattr(u, "is_active", True)]
    if not users:
        return 0
    ids = [u.pk for u in users]
    with transaction.atomic():
        before = set(Notification.objects.filter(key=key, user_id__in=ids).values_list("user_id", flat=True))
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=u.pk, kind=kind, key=key, title=title[:200], body=body,
                    case_number=case_number, created_at=now,
                )
                for u in users
                if u.pk not in before
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        chans = backends()
        Delivery.objects.bulk_create(
            [Delivery(key=key, channel=b.name, user_id=uid, created_at=now) for b in chans for uid in ids],
            ignore_conflicts=True,
        )
    message = Message(key=key, kind=str(kind), case_number=case_number, title=title, body=body)

    def send() -> None:
        for backend in chans:
            _send_claimed(backend, message, Delivery.objects.filter(key=key, channel=backend.name), now=now)

    # Outside channels only once the rows are committed: a rollback must not leave a text sent
    # for a notification that does not exist. A crash before this runs leaves the deliveries
    # pending, and `deliveries_retry` sends them.
    transaction.on_commit(send)
    return len(set(ids) - before)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4, 8 … minutes, at most an hour."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _unsent(now: datetime) -> Q:
    """Rows to (re)send now: pending and due, or claimed by a worker that died."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (Q(status=DeliveryStatus.PENDING) & due) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - DELIVERY_LEASE
    )


def _claim(model: type[models.Model], pk: int, now: datetime) -> bool:
    """pending → sending in one conditional UPDATE: of two workers exactly one wins."""
    return bool(
        model._default_manager.filter(pk=pk)
        .filter(_unsent(now))
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _attempt(
    model: type[models.Model], row: Any, channel: str, send: Callable[[], None], now: datetime
) -> bool:
    """Claim the row, send, record the outcome on the row. A temporary failure is tried again
    after `backoff`; a permanent one, or the MAX_ATTEMPTS-th, is marked failed with its error."""
    if not _claim(model, row.pk, now):
        return False
    rows = model._default_manager.filter(pk=row.pk)
    attempts = row.attempts + 1
    try:
        send()
    except Exception as exc:
        retry = exc.retry if isinstance(exc, DeliveryError) else True
        give_up = not retry or attempts >= MAX_ATTEMPTS
        rows.update(
            status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
            next_attempt_at=None if give_up else now + backoff(attempts),
            error=f"attempt {attempts}: {exc}"[:1000],
        )
        if isinstance(exc, DeliveryError):
            log.warning(
                "%s %s via %s failed (attempt %d): %s", model.__name__, row.pk, channel, attempts, exc
            )
        else:
            log.exception("%s %s via %s crashed", model.__name__, row.pk, channel)
        return False
    rows.update(status=DeliveryStatus.SENT, sent_at=now, next_attempt_at=None, error="")
    return True


def _send_claimed(backend: Backend, message: Message, qs: Any, *, now: datetime) -> None:
    user_model = get_user_model()
    for d in qs.filter(_unsent(now)):
        user = user_model.objects.get(pk=d.user_id)
        _attempt(Delivery, d, backend.name, lambda: backend.send(message, user=user), now)  # noqa: B023


def citizen_text(*, key: str, phone: str, text: str, case_numbers: str, now: datetime) -> int:
    """A text to a citizen's phone (a reporter), through every configured backend that can text
    phones. Once per (key, channel, number): calling it again sends nothing new. Sent after
    commit, like notifications; what fails is retried by `deliveries_retry`. Returns the number
    of new rows."""
    chans = [b for b in backends() if b.texts_phones]
    if not chans or not phone:
        return 0
    index = CitizenMessage._meta.get_field("phone").index_for(phone)
    with transaction.atomic():
        taken = set(
            CitizenMessage.objects.filter(key=key, phone_index=index).values_list("channel", flat=True)
        )
        new = [
            CitizenMessage(
                key=key,
                channel=b.name,
                phone=phone,
                case_numbers=case_numbers[:200],
                text=text,
                created_at=now,
            )
            for b in chans
            if b.name not in taken
        ]
        CitizenMessage.objects.bulk_create(new, ignore_conflicts=True)

    def send() -> None:
        for backend in chans:
            for m in CitizenMessage.objects.filter(key=key, phone_index=index, channel=backend.name):
                _text(backend, m, now)

    transaction.on_commit(send)
    return len(new)


def _text(backend: Backend, m: CitizenMessage, now: datetime) -> bool:
    return _attempt(
        CitizenMessage,
        m,
        backend.name,
        lambda: backend.send_text(m.phone, m.text, reference=f"{m.key}:{m.pk}"),
        now,
    )


def deliveries_retry(*, now: datetime, limit: int = 500) -> int:
    """Send what a crash or a temporary failure left unsent (once its backoff has passed)."""
    todo = list(Delivery.objects.filter(_unsent(now)).order_by("id")[:limit])
    by_name = {b.name: b for b in backends()}
    for d in todo:
        backend = by_name.get(d.channel)
        n = Notification.objects.filter(user_id=d.user_id, key=d.key).first()
        if backend is None or n is None:
            continue
        message = Message(key=d.key, kind=n.kind, case_number=n.case_number, title=n.title, body=n.body)
        _send_claimed(backend, message, Delivery.objects.filter(pk=d.pk), now=now)
    texts = list(CitizenMessage.objects.filter(_unsent(now)).order_by("id")[:limit])
    for m in texts:
        backend = by_name.get(m.channel)
        if backend is not None:
            _text(backend, m, now)
    return len(todo) + len(texts)


def notification_mark_read(*, user: Any, ids: Iterable[int] | None, now: datetime) -> int:
    """Mark the user's notifications read: the given ids, or all when ids is None."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        ids = list(ids)
        if ids and not Notification.objects.filter(user=user, pk__in=ids).exists():
            raise NotFound("通知不存在", "no such notification", code="notification_not_found")
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now)


# --- the outbox --------------------------------------------------------------------------------

GAP_SECONDS = 120.0
MAX_GAPS = 10_000


def outbox_process(
    *,
    name: str,
    queryset: models.QuerySet[M],
    handle: Callable[[M], None],
    batch: int = 500,
    gap_seconds: float = GAP_SECONDS,
    wall: Callable[[], float] = time.time,
) -> int:
    """Hand every row of `queryset` (an append-only table, ordered by id) to `handle`, once per
    cursor advance, in id order; rows that commit late (ids below the cursor) are caught through
    the cursor's gaps. `handle` must itself be idempotent: after a crash the rows between the
    last saved cursor and the crash are handed out again. Returns the number of rows handled."""
    handled = 0
    while True:
        with transaction.atomic():
            cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(name=name)
            gaps = {int(i): float(t) for i, t in cursor.gaps}
            cond = Q(pk__gt=cursor.last_id)
            if gaps:
                cond |= Q(pk__in=list(gaps))
            rows = list(queryset.filter(cond).order_by("pk")[:batch])
            if not rows and not gaps:
                return handled
            for row in rows:
                handle(row)
            seen = {int(r.pk) for r in rows}
            new_last = cursor.last_id
            t = wall()
            for pk in sorted(seen):
                if pk > new_last:
                    if new_last:  # a new cursor starts at the first row there is
                        gaps.update((missing, t) for missing in range(new_last + 1, pk))
                    new_last = pk
            gaps = {i: ts for i, ts in gaps.items() if i not in seen and t - ts < gap_seconds}
            if len(gaps) > MAX_GAPS:  # a storm of rollbacks: keep the newest
                gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
            cursor.last_id, cursor.gaps = new_last, sorted([i, ts] for i, ts in gaps.items())
            cursor.save()
            handled += len(rows)
            if len(rows) < batch:
                return handled
