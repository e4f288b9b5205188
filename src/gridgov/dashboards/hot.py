"""Hot topics: the week's rising words and the places that repeat.

Words: the words of the titles and descriptions of the place's cases registered in the last
seven days (today and the six before), counted once per case, against the seven days before.
The texts are segmented once, by the stats reader in the worker, into per-day word counts
(`stats.models.Recent`, docs/decisions/0004-summary-tables.md): here the two weeks are one
GROUP BY over at most fourteen days of the place's rows, never a text. Places: the grids (or
regions, for cases outside any grid) with more than one case this week, from the same table
(cases per own territory code; a city's two weeks of cases grouped from the cases table took
0.1–0.26 s at 10 M). Nothing is cached: the first request after a change is as fast as any.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from gridgov.dashboards.place import Place
from gridgov.geo.models import Grid, Region
from gridgov.stats.models import Recent, RecentDim
from gridgov.stats.recent import WEEK_DAYS

WORDS_MAX = 8
PLACES_MAX = 8


def _counts(place: Place, dim: RecentDim, first: date, last: date) -> dict[str, int]:
    """Cases per key registered in the place from `first` to `last`. No user filter: only
    centre users reach the screen (place.py), whose scope is exactly the territory, and the
    place was checked against it."""
    rows = (
        Recent.objects.filter(code=place.prefix, dim=dim, day__gte=first, day__lte=last)
        .values("key")
        .annotate(n=Sum("cases"))
    )
    return {r["key"]: r["n"] for r in rows if r["n"] > 0}


def _weeks(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(this week, the week before): today and the six days before, and the seven before them."""
    week = timedelta(days=WEEK_DAYS)
    first = today - week + timedelta(days=1)
    return (first, today), (first - week, today - week)


def _rising_words(*, place: Place, today: date) -> list[dict[str, Any]]:
    this, before = _weeks(today)
    this_week = _counts(place, RecentDim.WORD, *this)
    last_week = _counts(place, RecentDim.WORD, *before)
    # Rising first (by how much), then the most frequent; a word that appears once is noise.
    ranked = sorted(
        ((n - last_week.get(word, 0), n, word) for word, n in this_week.items() if n >= 2),
        key=lambda t: (-t[0], -t[1], t[2]),
    )
    return [
        {"word": word, "count": n, "previous": n - change, "change": change}
        for change, n, word in ranked[:WORDS_MAX]
    ]


def _names(codes: list[str]) -> dict[str, str]:
    names = dict(Grid.objects.filter(code__in=codes).values_list("code", "name"))
    names.update(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return names


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _repeating_places(*, place: Place, today: date) -> list[dict[str, Any]]:
    this, before = _weeks(today)
    this_week = _counts(place, RecentDim.PLACE, *this)
    repeats = sorted(((n, code) for code, n in this_week.items() if n >= 2), key=lambda t: (-t[0], t[1]))
    top = [code for _, code in repeats[:PLACES_MAX]]
    if not top:
        return []
    last_week = _counts(place, RecentDim.PLACE, *before)
    names = _names(top)
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "is_grid": len(code) == 15,
            "count": this_week[code],
            "previous": last_week.get(code, 0),
        }
        for code in top
    ]


def hot_topics(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    today = timezone.localtime(now).date()
    return {
        "place": place.out(),
        "start": _midnight(today - timedelta(days=WEEK_DAYS - 1)).isoformat(),
        "end": now.isoformat(),
        "words": _rising_words(place=place, today=today),
        "places": _repeating_places(place=place, today=today),
    }
