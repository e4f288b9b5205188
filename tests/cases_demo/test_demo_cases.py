"""The demo's synthetic cases: made through the services, covering the whole loop, consistent,
labelled synthetic, and made once."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.core.management import call_command

from gridgov.cases.demo import SYNTHETIC_REF, seed_demo_cases
from gridgov.cases.demo_texts import SYNTHETIC_NOTE
from gridgov.cases.enums import CaseAction, CaseStatus, Channel
from gridgov.cases.models import Case, CaseEvent
from gridgov.geo.enums import RegionLevel
from gridgov.sla.enums import Colour

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_it_seeds_every_status_colour_and_several_levels_and_channels_once(demo_city):
    made = seed_demo_cases(city=demo_city, now=NOW, count=120, seed=5)
    cases = list(Case.objects.all())
    assert made == len(cases) and 118 <= made <= 120  # a late duplicate may not have come yet

    assert {c.status for c in cases} == set(CaseStatus)
    open_colours = {c.colour for c in cases if c.is_open and c.status != CaseStatus.SUSPENDED}
    assert open_colours >= {Colour.GREEN, Colour.YELLOW, Colour.RED}
    assert {c.level for c in cases} >= {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP}
    assert len({c.channel for c in cases}) >= 6 and Channel.HOTLINE_12345 in {c.channel for c in cases}

    actions = set(CaseEvent.objects.values_list("action", flat=True))
    for act in (CaseAction.ESCALATE, CaseAction.SEND_DOWN, CaseAction.MERGE, CaseAction.FOLLOW_UP,
                CaseAction.SUSPEND, CaseAction.RECOLOUR, CaseAction.CONTACT):  # fmt: skip
        assert act in actions, act

    # Every case sits in its grid, carries the synthetic label and was made in the 90 days.
    for case in cases:
        assert case.external_refs[SYNTHETIC_REF].startswith("demo-5-")
        assert case.description.endswith(SYNTHETIC_NOTE)
        assert case.grid_id is not None and case.territory_code.startswith(demo_city.prefix)
        assert (NOW - case.created_at).days < 91

    # Each event starts where the one before it ended, and version counts the events.
    chains = defaultdict(list)
    for event in CaseEvent.objects.order_by("id"):
        chains[event.case_id].append(event)
    for case in cases:
        events = chains[case.pk]
        assert events[0].action == CaseAction.CREATE and events[0].from_status == ""
        for before, after in pairwise(events):
            assert after.from_status == before.to_status, (case.number, before.action, after.action)
            assert after.at >= before.at, (case.number, before.action, after.action)
        assert events[-1].to_status == case.status
        assert case.version == len(events)

    # A second run adds nothing.
    out = io.StringIO()
    assert seed_demo_cases(city=demo_city, now=NOW, count=120, seed=5, out=out) == 0
    assert Case.objects.count() == made
    assert "nothing to add" in out.getvalue()


def test_the_simulation_creates_cases_and_moves_open_ones_through_the_services(demo_city):
    seed_demo_cases(city=demo_city, now=NOW, count=30, seed=2)
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    acts = CaseEvent.objects.exclude(action__in=[CaseAction.CREATE, CaseAction.RECOLOUR]).count()

    out = io.StringIO()
    call_command("cases", "simulate", "--rate", "3", "--duration", "2", "--seed", "1", stdout=out)

    new_cases = Case.objects.count() - cases
    assert new_cases >= 1
    # One create event per new case, and acts on open cases beyond that.
    assert CaseEvent.objects.filter(action=CaseAction.CREATE).count() == cases + new_cases
    assert CaseEvent.objects.exclude(action__in=[CaseAction.CREATE, CaseAction.RECOLOUR]).count() > acts
    assert CaseEvent.objects.count() > events + new_cases
    text = out.getvalue()
    assert "create → received" in text and "simulation stopped" in text
    for case in Case.objects.all():
        assert case.version == case.events.count()
