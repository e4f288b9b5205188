"""Looking a case up by number and phone, under the tracking rate limits (which stop anyone
trying phone numbers against a known case number)."""

from __future__ import annotations

from datetime import datetime

from gridgov.accounts.models import User
from gridgov.cases.models import Case
from gridgov.portal.enums import LimitScope
from gridgov.portal.selectors import case_for_citizen
from gridgov.portal.services.actors import portal_actor_for, receiving_center
from gridgov.portal.services.limits import rate_limit_hit


def portal_reader() -> User:
    return portal_actor_for(receiving_center())


def citizen_lookup(*, number: str, phone: str, ip: str, now: datetime) -> Case:
    rate_limit_hit(scope=LimitScope.TRACK_IP, key=ip or "unknown", now=now)
    rate_limit_hit(scope=LimitScope.TRACK_CASE, key=(number or "").strip()[:32], now=now)
    return case_for_citizen(reader=portal_reader(), number=number, phone=phone)
