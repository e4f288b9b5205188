"""/api/v1/dashboards: what the big screen draws besides the indicators (those come from
/api/v1/stats). Each endpoint takes `region` (a region or grid code; default the caller's own
root) and answers only inside the caller's scope (403 outside it).

No response schema (as /api/v1/stats): the answers are plain dicts built by the selectors, and
ninja's `response=dict` ran each one through pydantic's validation and dump before rendering:
127 ms of the city map's answer at 10 M cases (1 MB: every grid's load, the heat's hexagons,
2,000 points), more than the map's reads and building together (docs/benchmarks-stats.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.core import clock
from gridgov.dashboards.feed import feed_for
from gridgov.dashboards.hot import hot_topics
from gridgov.dashboards.maps import map_load, map_shapes
from gridgov.dashboards.place import Place, place_chain, place_children, place_get
from gridgov.dashboards.screen import screen_clock
from gridgov.dashboards.trend import category_trend, stats_region

router = Router(tags=["dashboards"])


class Where(Schema):
    region: str = Field("", max_length=15, pattern=r"^\d*$", description="a region or grid code")


def _place(request: HttpRequest, q: Where) -> Place:
    return place_get(user=request.user, code=q.region)


@router.get("/place")
def place(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    """The place, its breadcrumb from the caller's root, and the places one click below."""
    here = _place(request, q)
    region = stats_region(here)
    return {
        "place": here.out(),
        # Where the indicators come from: the place, or for a grid its community's breakdown.
        "stats_region": {"code": region.code, "name": region.name, "prefix": region.prefix},
        "chain": [p.out() for p in place_chain(user=request.user, place=here)],
        "children": [p.out() for p in place_children(user=request.user, place=here)],
    }


@router.get("/shapes")
def shapes(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    return map_shapes(user=request.user, place=_place(request, q))


@router.get("/map")
def map_(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    now = clock.now()
    return {**map_load(user=request.user, place=_place(request, q), now=now), "clock": screen_clock(now)}


@router.get("/feed")
def feed(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    now = clock.now()
    return {**feed_for(user=request.user, place=_place(request, q), now=now), "clock": screen_clock(now)}


@router.get("/hot")
def hot(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    return hot_topics(user=request.user, place=_place(request, q), now=clock.now())


@router.get("/trend")
def trend(request: HttpRequest, q: Query[Where]) -> dict[str, Any]:
    return category_trend(user=request.user, place=_place(request, q), now=clock.now())


@router.get("/clock")
def clock_(request: HttpRequest) -> dict[str, str]:
    """The server's time and the dates the panels ask the stats API for."""
    return screen_clock(clock.now())
