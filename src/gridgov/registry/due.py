"""When the next visit of a key person is due: the last visit (or, before the first, the day the
person came under management) plus the frequency of its category at its risk level. Released
persons are off the duty. Days are local calendar days (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gridgov.registry.enums import VISITED_STATUSES, KeyPersonStatus

# Without a row in the frequency table a person is still visited: monthly.
DEFAULT_EVERY_DAYS = 30
# "Due soon": the worker's list shows what falls due within this many days.
DUE_SOON_DAYS = 7


def next_due(
    *, since: dt.date, last_visit_at: dt.datetime | None, every_days: int | None, status: str
) -> dt.date | None:
    if KeyPersonStatus(status) not in VISITED_STATUSES:
        return None
    start = timezone.localdate(last_visit_at) if last_visit_at is not None else since
    return start + dt.timedelta(days=every_days or DEFAULT_EVERY_DAYS)


def is_overdue(due: dt.date | None, *, now: dt.datetime) -> bool:
    return due is not None and due < timezone.localdate(now)
