"""Reads for Open311: services from the category taxonomy, and requests (cases) through the
portal's public view of cases (portal/selectors.py): the same cases the public may see, with
the same personal data left out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.cases.selectors import CaseFilters, case_list_for
from gridgov.core.errors import NotFound
from gridgov.open311.errors import Unauthorized
from gridgov.open311.models import Open311Client, ServiceAttribute
from gridgov.portal.selectors import PRIVATE_CATEGORY_PREFIXES, PUBLIC_CHANNELS

DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
CLOSED = (CaseStatus.CLOSED, CaseStatus.ARCHIVED, CaseStatus.REJECTED, CaseStatus.MERGED)


def client_for_key(key: str) -> Open311Client:
    if not key:
        raise Unauthorized("缺少 api_key", "api_key is required")
    client = (
        Open311Client.objects.select_related("user")
        .filter(digest=hashlib.sha256(key.encode()).hexdigest(), revoked_at__isnull=True)
        .first()
    )
    if client is None or not client.user.is_active:
        raise Unauthorized("api_key 无效或已吊销", "invalid or revoked api_key")
    return client


def services_all() -> list[Category]:
    """Every active leaf category is a service; its parent is the service's group."""
    return list(
        Category.objects.filter(active=True, parent__isnull=False, parent__active=True)
        .select_related("parent")
        .annotate(attribute_count=Count("open311_attributes"))
        .order_by("code")
    )


def service_get(code: str) -> Category:
    category = (
        Category.objects.filter(code=code, active=True, parent__isnull=False).select_related("parent").first()
        if code
        else None
    )
    if category is None:
        raise NotFound(f"服务 {code} 不存在", f"no service {code}", code="unknown_service")
    return category


def attributes_of(code: str) -> list[ServiceAttribute]:
    return list(ServiceAttribute.objects.filter(category__code=code).order_by("order", "code"))


def public_requests(reader: Any, now: datetime) -> QuerySet[Case]:
    """The cases Open311 shows: from the public channels or posted through Open311, never of
    the private categories, never children merged into another case."""
    qs = case_list_for(reader, CaseFilters(), now=now).filter(
        Q(channel__in=PUBLIC_CHANNELS) | Q(external_refs__has_key="open311")
    )
    for prefix in PRIVATE_CATEGORY_PREFIXES:
        qs = qs.exclude(category__code__startswith=prefix)
    return qs.select_related("category", "owner_center", "owner_department")


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()  # "open" / "closed"


def window(query: RequestQuery, now: datetime) -> tuple[datetime, datetime]:
    """GeoReport v2's default: the last 90 days, or 90 days from the start date given."""
    end = query.end or (query.start + timedelta(days=DEFAULT_DAYS) if query.start else now)
    start = query.start or end - timedelta(days=DEFAULT_DAYS)
    return start, end  # an inverted range is empty: nothing was requested in it


def requests_find(*, reader: Any, query: RequestQuery, now: datetime) -> list[Case]:
    qs = public_requests(reader, now)
    if query.ids:
        # service_request_id overrides every other parameter (GeoReport v2).
        return list(qs.filter(number__in=query.ids[:MAX_REQUESTS]).order_by("-created_at")[:MAX_REQUESTS])
    start, end = window(query, now)
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    if query.service_codes:
        qs = qs.filter(category__code__in=query.service_codes)
    if query.statuses and set(query.statuses) != {"open", "closed"}:
        qs = qs.filter(status__in=CLOSED) if "closed" in query.statuses else qs.exclude(status__in=CLOSED)
    return list(qs.order_by("-created_at", "-id")[:MAX_REQUESTS])


def request_get(*, reader: Any, number: str, now: datetime) -> Case:
    case = public_requests(reader, now).filter(number=number).first()
    if case is None:
        raise NotFound(f"请求 {number} 不存在", f"no service request {number}", code="unknown_request")
    return case


def updates_find(*, reader: Any, query: RequestQuery, now: datetime) -> list[CaseEvent]:
    cases = public_requests(reader, now)
    events = CaseEvent.objects.filter(case__in=cases.values("pk")).select_related("case")
    if query.ids:
        events = events.filter(case__number__in=query.ids[:MAX_REQUESTS])
    else:
        start, end = window(query, now)
        events = events.filter(at__gte=start, at__lte=end)
    return list(events.order_by("-at", "-id")[: MAX_REQUESTS * 5])
