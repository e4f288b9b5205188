"""The category trend: intake per day over the last TREND_DAYS days for the place's busiest
top-level categories, read through the stats module (summary tables, never the cases table),
so each point equals what /api/v1/stats/breakdown?by=day&category=… answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache

from gridgov.dashboards.place import Place
from gridgov.dashboards.screen import TREND_DAYS, local_today
from gridgov.geo.models import Region
from gridgov.stats.indicators import Period, Scope, breakdown

TREND_TOP = 5
CACHE_SECONDS = 60


def stats_region(place: Place) -> Region:
    """The region the stats module answers for: the place itself, or for a grid its community
    (indicators are kept per region; a grid's own figures are its row in the community's
    breakdown by region)."""
    if place.region is not None:
        return place.region
    assert place.grid is not None
    return Region.objects.only("id", "code", "prefix", "name", "level").get(pk=place.grid.community_id)


def category_trend(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    # Six reads of the summary tables (a few hundred ms on a busy machine at 1 M cases) for a
    # chart of whole days: kept for a minute, per user (scopes differ) and place.
    key = f"dashboards:trend:{user.pk}:{place.code}:{int(now.timestamp()) // CACHE_SECONDS}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    answer = _trend(user=user, place=place, now=now)
    cache.set(key, answer, CACHE_SECONDS)
    return answer


def _trend(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    region = stats_region(place)
    scope = Scope.for_user(user, region=region)
    today = local_today(now)
    period = Period(today - timedelta(days=TREND_DAYS - 1), today)
    totals = breakdown(scope=scope, period=period, by="category", names=["intake"])
    ranked = sorted(
        (r for r in totals if (r.values["intake"].value or 0) > 0),
        key=lambda r: (-(r.values["intake"].value or 0), r.key),
    )[:TREND_TOP]
    days = [(period.start + timedelta(days=i)).isoformat() for i in range(period.days)]
    series = []
    for row in ranked:
        per_day = breakdown(
            scope=Scope.for_user(user, region=region, category_id=int(row.key)),
            period=period,
            by="day",
            names=["intake"],
        )
        by_day = {r.key: r.values["intake"].value or 0 for r in per_day}
        series.append(
            {
                "category_id": int(row.key),
                "name": row.label,
                "total": row.values["intake"].value,
                "data": [by_day.get(d, 0) for d in days],
            }
        )
    return {
        "place": place.out(),
        "stats_region": {"code": region.code, "name": region.name},
        "period": period.describe(),
        "days": days,
        "series": series,
    }
