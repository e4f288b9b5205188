"""Random sequences of acts by random people keep the invariants of the loop."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.accounts.models import Center, Department
from gridgov.cases.enums import DONE_STATUSES, SYSTEM_ACTIONS, CaseAction, CaseStatus, PartStatus, Rating
from gridgov.cases.models import Case, Notice
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_create
from gridgov.core.errors import DomainError
from gridgov.sla.enums import DurationUnit
from tests.cases.conftest import MONDAY, inside
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ACTIONS = [a for a in CaseAction if a not in SYSTEM_ACTIONS]
_keys = itertools.count()


class Loop(RuleBasedStateMachine):
    env: dict = {}

    @initialize()
    def open_a_case(self):
        env = self.env
        self.now = MONDAY
        draft = CaseDraft(
            channel="hotline_12345", category_code="0101", title="t", lon=env["lon"], lat=env["lat"],
            reporter_name="张三", reporter_phone="13812345678",
        )  # fmt: skip
        self.case, _ = case_create(
            actor=env["desk"], draft=draft, idempotency_key=f"machine-{next(_keys):06d}", now=self.now
        )
        self.twin, _ = case_create(
            actor=env["desk"], draft=draft, idempotency_key=f"machine-{next(_keys):06d}", now=self.now
        )
        self.successes = 0

    @rule(
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(["desk", "handler", "worker", "leader", "assistant"]),
        passed=st.booleans(),
        rating=st.sampled_from(list(Rating)),
        minutes=st.integers(0, 60 * 30),
    )
    def act(self, action, who, passed, rating, minutes):
        self.now += timedelta(minutes=minutes)
        env = self.env
        notice = Notice.objects.filter(case=self.case, responded_at__isnull=True).first()
        params = ActParams(
            note="n", reason="r", department_code=env["housing"].code, department_codes=(env["other"].code,),
            region_code=env["county_code"], rating=rating, passed=passed,
            amount=1, unit=DurationUnit.WORKDAYS,
            parent_number=self.twin.number, notice_id=notice.pk if notice else None,
        )  # fmt: skip
        before = Case.objects.get(pk=self.case.pk)
        try:
            case_act(actor=env[who], number=self.case.number, action=action, params=params, now=self.now)
        except DomainError:
            after = Case.objects.get(pk=self.case.pk)
            assert (after.version, after.status) == (before.version, before.status)
            return
        self.successes += 1

    @invariant()
    def one_event_per_change(self):
        case = Case.objects.get(pk=self.case.pk)
        events = list(case.events.order_by("id"))
        assert len(events) == case.version == self.successes + 1
        for a, b in itertools.pairwise(events):
            assert a.to_status == b.from_status
        assert events[-1].to_status == case.status

    @invariant()
    def no_closed_case_with_an_open_part(self):
        case = Case.objects.get(pk=self.case.pk)
        if case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED):
            assert not case.parts.filter(status=PartStatus.OPEN).exists()

    @invariant()
    def deadlines_consistent(self):
        case = Case.objects.get(pk=self.case.pk)
        assert case.is_open == (case.status not in DONE_STATUSES)
        if not case.is_open:
            assert case.colour == "" and case.due_at is None
            return
        assert case.colour in ("green", "yellow", "red")
        assert case.finish_due_at > case.finish_started_at
        assert case.contact_due_at > case.created_at
        if case.status == CaseStatus.SUSPENDED:
            assert case.due_at is None and case.pauses.filter(ended_at__isnull=True).count() == 1
        else:
            assert case.due_at is not None and case.yellow_at <= case.due_at
            assert not case.pauses.filter(ended_at__isnull=True).exists()
        if case.finished_at is None:
            assert case.due_at is None or case.due_at <= case.finish_due_at


def test_random_acts_keep_the_invariants(world, personas, housing_bureau):
    lon, lat = inside(world.grid)
    city = Center.objects.get(region=world.city)
    Loop.env = {
        "desk": personas.city_dispatcher,
        "handler": personas.housing_handler,
        "worker": personas.grid_worker,
        "leader": make_user("city-leader", "leader", center=city),
        "assistant": personas.other_handler,
        "housing": housing_bureau,
        "other": Department.objects.get(code=f"{world.county.code}-CGJ"),
        "county_code": world.county.code,
        "lon": lon,
        "lat": lat,
    }
    run_state_machine_as_test(
        Loop,
        settings=settings(
            max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
