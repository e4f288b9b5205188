"""The event reader: idempotent, safe to run twice, equal to a recount after any sequence of
acts; `stats verify` says so, and says when it is not so."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from gridgov.cases.enums import SYSTEM_ACTIONS, CaseAction, Rating
from gridgov.cases.models import Case, CaseEvent, Notice
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create
from gridgov.cases.tasks import scan_deadlines
from gridgov.core.errors import DomainError
from gridgov.notify.models import OutboxCursor
from gridgov.sla.enums import DurationUnit
from gridgov.stats.contribution import STATS_FINAL
from gridgov.stats.models import CaseFact, Cell, Recent, Rollup
from gridgov.stats.services import CURSOR, case_fact_refresh, stats_rebuild, stats_refresh, stats_verify
from gridgov.stats.tasks import stats_refresh as stats_refresh_task
from tests.cases.conftest import MONDAY, inside
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    def rows(model, *order):
        return [tuple(v for k, v in r.items() if k != "id") for r in model.objects.order_by(*order).values()]

    return (
        rows(Cell, "territory", "day", "department_id", "category_id", "channel"),
        rows(Rollup, "code", "dim", "key", "day"),
        rows(CaseFact, "case_id"),
        rows(Recent, "code", "dim", "day", "key"),
    )


@pytest.fixture
def some_cases(world, personas, loop):
    with time_machine.travel(MONDAY, tick=False) as t:
        first = loop.create()
        loop.dispatch(first)
        t.shift(timedelta(hours=5))
        loop.report_back(first)
        loop.check_and_close(first)
        loop.follow_up(first, "satisfied")
        second = loop.create()
        loop.dispatch(second)
        yield first, second


def test_the_first_refresh_counts_everything_and_a_second_reads_nothing(some_cases):
    assert stats_refresh() == 0  # no cursor yet: a rebuild
    assert OutboxCursor.objects.get(name=CURSOR).last_id == CaseEvent.objects.latest("id").pk
    first = snapshot()
    assert first[0] and first[1]
    assert stats_refresh() == 0
    assert snapshot() == first
    assert stats_verify() == []


def test_handling_any_event_again_changes_nothing_but_a_final_cases_creation(some_cases):
    stats_refresh()
    before = snapshot()
    final = set(Case.objects.filter(status__in=STATS_FINAL).values_list("pk", flat=True))
    assert final  # the archived first case
    for event in CaseEvent.objects.order_by("-id"):  # in any order
        if event.case_id in final and event.action == CaseAction.CREATE:
            continue  # the cursor hands it out once; see the next test
        case_fact_refresh(case_id=event.case_id, created_event=event.action == CaseAction.CREATE)
    assert snapshot() == before


def test_a_cursor_set_back_counts_final_cases_twice_and_verify_and_rebuild_catch_it(some_cases):
    stats_refresh()
    before = snapshot()
    OutboxCursor.objects.filter(name=CURSOR).update(last_id=0, gaps=[])
    assert stats_refresh() == CaseEvent.objects.count()
    assert any("intake" in line for line in stats_verify())
    stats_rebuild()
    assert snapshot()[0] == before[0] and stats_verify() == []


def test_the_task_applies_new_events_and_the_archived_case_leaves_no_fact(some_cases, loop):
    first, second = some_cases
    stats_refresh()
    assert not CaseFact.objects.filter(case_id=Case.objects.get(number=first).pk).exists()
    loop.report_back(second)
    result = stats_refresh_task.call()
    assert result == {"events": 2}
    fact = CaseFact.objects.get(case_id=Case.objects.get(number=second).pk)
    assert fact.is_open and sum(d.get("handled", 0) for d in fact.days.values()) == 1
    assert stats_verify() == []


def test_verify_reports_a_tampered_table_and_exits_non_zero(some_cases, world):
    stats_refresh()
    call_command("stats", "verify")  # agrees: no error
    call_command("stats", "verify", "--region", world.county.code)
    cell = Cell.objects.filter(intake__gt=0).first()
    Cell.objects.filter(pk=cell.pk).update(intake=cell.intake + 1)
    with pytest.raises(CommandError, match="disagree"):
        call_command("stats", "verify")
    call_command("stats", "rebuild")
    call_command("stats", "verify")
    with pytest.raises(CommandError):
        call_command("stats", "verify", "--region", "999999")


def test_a_missed_event_shows_in_verify_until_the_reader_catches_up(some_cases, loop):
    _, second = some_cases
    stats_refresh()
    loop.report_back(second)
    differences = stats_verify()
    assert differences and any("handled" in line for line in differences)
    call_command("stats", "refresh")
    assert stats_verify() == []


# --- random sequences of acts ----------------------------------------------------------------------

ACTIONS = [a for a in CaseAction if a not in SYSTEM_ACTIONS]
_keys = itertools.count()


class Acts(RuleBasedStateMachine):
    """A few cases, random acts by random people over random time, refreshes at random moments;
    after each refresh the tables equal a recount."""

    env: dict = {}

    @initialize()
    def open_cases(self):
        self.now = MONDAY
        self.numbers = []
        stats_refresh()

    @rule(far=st.booleans())
    def create(self, far):
        env = self.env
        lon, lat = env["far" if far else "near"]
        draft = CaseDraft(channel="grid_worker" if far else "hotline_12345", category_code="0101",
                          title="积水严重" if far else "路灯损坏", lon=lon, lat=lat)  # fmt: skip
        case, _ = case_create(
            actor=env["desk"], draft=draft, idempotency_key=f"stats-{next(_keys):06d}", now=self.now
        )
        self.numbers.append(case.number)

    @rule(
        i=st.integers(0, 7),
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(["desk", "handler", "worker", "leader"]),
        passed=st.booleans(),
        rating=st.sampled_from(list(Rating)),
        minutes=st.integers(0, 60 * 40),
    )
    def act(self, i, action, who, passed, rating, minutes):
        if not self.numbers:
            return
        self.now += timedelta(minutes=minutes)
        number = self.numbers[i % len(self.numbers)]
        env = self.env
        notice = Notice.objects.filter(case__number=number, responded_at__isnull=True).first()
        other = self.numbers[(i + 1) % len(self.numbers)]
        params = ActParams(
            note="n", reason="r", department_code=env["housing"].code, region_code=env["county_code"],
            rating=rating, passed=passed, amount=1, unit=DurationUnit.WORKDAYS, parent_number=other,
            notice_id=notice.pk if notice else None,
        )  # fmt: skip
        with contextlib.suppress(DomainError):  # an act the state or the person does not allow
            case_act(actor=env[who], number=number, action=action, params=params, now=self.now)

    @rule(hours=st.integers(1, 200))
    def time_passes_and_the_deadline_worker_runs(self, hours):
        self.now += timedelta(hours=hours)
        scan_deadlines(now=self.now)

    @rule()
    def after_a_refresh_the_tables_equal_a_recount(self):
        stats_refresh()
        assert stats_verify() == []

    def teardown(self):
        stats_refresh()
        assert stats_verify() == []


def test_random_acts_keep_the_tables_equal_to_a_recount(world, personas, housing_bureau):
    from gridgov.accounts.models import Center

    Acts.env = {
        "desk": personas.city_dispatcher,
        "handler": personas.housing_handler,
        "worker": personas.grid_worker,
        "leader": make_user("stats-leader", "leader", center=Center.objects.get(region=world.city)),
        "housing": housing_bureau,
        "county_code": world.county.code,
        "near": inside(world.grid),
        "far": inside(world.far_grid),
    }
    # The clock a few days after the cases begin, so their words and hexagons are in the kept
    # window (stats.recent) and the recount checks those too.
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        run_state_machine_as_test(
            Acts,
            settings=settings(
                max_examples=12,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )


def test_the_demo_seeder_counts_the_demo_cases_and_can_run_twice(some_cases, world):
    from gridgov.stats.demo import seed_demo

    lines = seed_demo(city=world.city, now=MONDAY, out=None, options={})
    assert lines and "stats verify" in lines[0]
    first = snapshot()
    seed_demo(city=world.city, now=MONDAY, out=None, options={})
    assert snapshot() == first and stats_verify() == []
