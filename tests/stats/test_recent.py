"""The recent counts behind the screen's hot topics and heat layer (`stats.models.Recent`): the
words of each case's text and the hexagon of its position, on the day it was registered, for
every region code above it, for the last two weeks only; kept by the event reader from the
case events, equal to a recount (`stats verify`), the old days pruned."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import h3
import pytest
import time_machine

from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create
from gridgov.core import clock
from gridgov.notify.models import OutboxCursor
from gridgov.stats.models import CaseFact, Recent, RecentDim
from gridgov.stats.recent import RECENT_DAYS
from gridgov.stats.services import RECENT_MARK, stats_rebuild, stats_refresh, stats_verify
from tests.cases.conftest import inside

pytestmark = pytest.mark.django_db
_keys = itertools.count()


def _create(desk, grid, title: str, description: str = "", *, ago: timedelta = timedelta()) -> Case:
    lon, lat = inside(grid)
    draft = CaseDraft(channel="hotline_12345", category_code="0101", title=title, description=description,
                      lon=lon, lat=lat)  # fmt: skip
    case, _ = case_create(
        actor=desk, draft=draft, idempotency_key=f"recent-{next(_keys):06d}", now=clock.now() - ago
    )
    return case


def _counts(dim: RecentDim, code: str) -> dict[str, int]:
    """Cases per key under `code`, all kept days together."""
    out: Counter[str] = Counter()
    for key, n in Recent.objects.filter(code=code, dim=dim).values_list("key", "cases"):
        out[key] += n
    return {k: n for k, n in out.items() if n}


def _prefixes(grid) -> list[str]:
    return [grid.code[:n] for n in (2, 4, 6, 9, 12, 15)]


def _all_rows() -> list[tuple]:
    return list(Recent.objects.filter(cases__gt=0).order_by("code", "dim", "day", "key")
                .values_list("code", "dim", "day", "key", "cases"))  # fmt: skip


def test_each_case_adds_its_words_and_hexagon_to_every_code_above_it(world, personas):
    stats_refresh()  # the cursor: what follows is read event by event
    desk = personas.city_dispatcher
    _create(desk, world.grid, "路灯损坏", "小区路灯损坏")
    _create(desk, world.grid, "积水严重", "路灯旁边积水")
    _create(desk, world.far_grid, "路灯损坏")
    stats_refresh()

    city = world.city.prefix
    assert _counts(RecentDim.WORD, city)["路灯"] == 3  # once per case, however often it says it
    assert _counts(RecentDim.WORD, world.county.prefix)["路灯"] == 2
    assert _counts(RecentDim.WORD, world.county.prefix)["积水"] == 1
    assert _counts(RecentDim.WORD, world.other_county.prefix)["路灯"] == 1
    for code in _prefixes(world.grid):
        assert _counts(RecentDim.WORD, code)["路灯"] == (3 if len(code) <= 4 else 2)
    assert "问题" not in _counts(RecentDim.WORD, city)  # a stop word
    # Where they were registered: each case under its own territory code, at every level.
    assert _counts(RecentDim.PLACE, city) == {world.grid.code: 2, world.far_grid.code: 1}
    assert _counts(RecentDim.PLACE, world.grid.code) == {world.grid.code: 2}

    # The hexagons, by hand: each grid's cases at the resolution of each level's map.
    lon, lat = inside(world.grid)
    far_lon, far_lat = inside(world.far_grid)
    resolution = {2: 6, 4: 7, 6: 7, 9: 8, 12: 9, 15: 9}
    for code in _prefixes(world.grid):
        want = Counter({h3.latlng_to_cell(lat, lon, resolution[len(code)]): 2})
        if len(code) <= 4:
            want[h3.latlng_to_cell(far_lat, far_lon, resolution[len(code)])] += 1
        assert _counts(RecentDim.HEAT, code) == dict(want), code
    assert stats_verify() == []


def test_how_a_matter_reached_us_and_the_address_are_not_topics(world, personas):
    # A grid worker's report: "patrolling, the grid worker found …; people report … building 3,
    # unit door". Only what is happening may become a hot word.
    stats_refresh()
    desk = personas.city_dispatcher
    _create(desk, world.grid, "网格员巡查发现垃圾堆放", "群众反映3号楼单元门口垃圾堆放多日")
    stats_refresh()
    words = set(_counts(RecentDim.WORD, world.city.prefix))
    assert words == {"垃圾堆", "门口", "多日"}
    assert not words & {"网格员", "网格", "巡查", "发现", "群众反映", "号楼", "单元"}


def test_a_moved_case_takes_its_words_and_hexagon_along_and_the_recount_agrees(world, personas):
    stats_refresh()
    desk = personas.city_dispatcher
    case = _create(desk, world.grid, "噪音扰民", "夜间施工噪音")
    stats_refresh()
    assert _counts(RecentDim.WORD, world.county.prefix)["噪音"] == 1
    # Placed again in the other county (as a correction of its location would), then any act:
    # the reader takes back what the case added where it was and adds it where it is.
    lon, lat = inside(world.far_grid)
    Case.objects.filter(pk=case.pk).update(
        territory_code=world.far_grid.code,
        grid=world.far_grid,
        region=world.far_grid.community,
        lon=lon,
        lat=lat,
    )
    case_act(actor=desk, number=case.number, action=CaseAction.ACCEPT, params=ActParams(), now=clock.now())
    stats_refresh()
    assert "噪音" not in _counts(RecentDim.WORD, world.county.prefix)
    assert _counts(RecentDim.WORD, world.other_county.prefix)["噪音"] == 1
    assert _counts(RecentDim.HEAT, world.far_grid.code) == {h3.latlng_to_cell(lat, lon, 9): 1}
    assert _counts(RecentDim.HEAT, world.grid.code) == {}
    assert stats_verify() == []
    incremental = _all_rows()
    stats_rebuild()
    assert _all_rows() == incremental


def test_a_rejected_case_still_counts_as_received_like_its_intake(world, personas):
    stats_refresh()
    desk = personas.city_dispatcher
    case = _create(desk, world.grid, "占道经营", "早市占道经营")
    case_act(actor=desk, number=case.number, action=CaseAction.REJECT, params=ActParams(reason="重复"),
             now=clock.now())  # fmt: skip
    stats_refresh()
    assert not CaseFact.objects.filter(case_id=case.pk).exists()  # final: no fact to take back from
    assert _counts(RecentDim.WORD, world.grid.code)["早市"] == 1
    assert stats_verify() == []


def test_only_the_last_two_weeks_are_kept_and_older_days_are_pruned(world, personas):
    stats_refresh()
    desk = personas.city_dispatcher
    _create(desk, world.grid, "垃圾满溢", "垃圾桶满溢", ago=timedelta(days=RECENT_DAYS - 1))
    _create(desk, world.grid, "垃圾满溢", ago=timedelta(days=RECENT_DAYS))  # the day before the window
    stats_refresh()
    assert _counts(RecentDim.WORD, world.grid.code)["垃圾"] == 1
    assert stats_verify() == []

    with time_machine.travel(clock.now() + timedelta(days=1), tick=False):
        stats_refresh()  # no event: the run prunes the day that left the window
        assert _counts(RecentDim.WORD, world.grid.code) == {}
        assert not Recent.objects.exists()
        assert stats_verify() == []
        # An event of a case whose day has gone changes nothing there, and the tables agree.
        older = Case.objects.order_by("pk").first()
        case_act(actor=desk, number=older.number, action=CaseAction.ACCEPT, params=ActParams(),
                 now=clock.now())  # fmt: skip
        stats_refresh()
        assert not Recent.objects.exists() and stats_verify() == []


def test_a_database_counted_before_the_recent_table_existed_gets_it_on_the_next_refresh(world, personas):
    stats_refresh()
    desk = personas.city_dispatcher
    _create(desk, world.grid, "积水严重", "路灯旁边积水")
    _create(desk, world.far_grid, "路灯损坏", ago=timedelta(days=3))
    stats_refresh()
    counted, facts = _all_rows(), list(CaseFact.objects.order_by("case_id").values_list("words", "cell"))
    assert counted and all(words and cell for words, cell in facts)
    # As a database migrated to the recent table finds itself: the other tables counted, the
    # recent table empty, the facts without words, the reader's cursor where it was.
    Recent.objects.all().delete()
    CaseFact.objects.update(words=[], cell="")
    OutboxCursor.objects.filter(name=RECENT_MARK).delete()
    assert stats_verify() != []
    stats_refresh()
    assert _all_rows() == counted
    assert list(CaseFact.objects.order_by("case_id").values_list("words", "cell")) == facts
    assert stats_verify() == []
