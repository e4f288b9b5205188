"""Key persons and their visits: idempotent visits, due and overdue dates with time frozen, the
dynamic-management trail, the frequency table, and the lists per worker and per centre."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core import clock
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.registry import selectors, services
from gridgov.registry.enums import KeyPersonStatus, RiskLevel
from gridgov.registry.models import KeyPerson, KeyPersonChange, Visit
from tests.registry.conftest import MONDAY, make_key_person, make_resident


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def person(personas, world, frozen):
    resident = make_resident(personas.grid_worker, world, name="李四")
    # drug_user at high risk: every 7 days (registry/data/key_person_categories.json)
    return make_key_person(
        personas.grid_worker, resident, worker=personas.grid_worker, since=dt.date(2026, 2, 1)
    )


def visit(actor, person, key, *, at, **extra):
    return services.visit_record(
        actor=actor, key_person_id=person.pk, client_key=key, visited_at=at,
        findings=extra.pop("findings", "本人在家,情绪稳定"), now=clock.now(), **extra,
    )  # fmt: skip


def test_a_new_key_person_is_due_one_interval_after_coming_under_management(person):
    assert person.next_visit_due == dt.date(2026, 2, 8)
    assert KeyPersonChange.objects.filter(key_person=person).count() == 1


def test_an_offline_phone_that_sends_a_visit_twice_creates_one_visit(person, personas):
    first, created = visit(
        personas.grid_worker, person, "phone-1-visit-0001", at=MONDAY - dt.timedelta(hours=1)
    )
    again, created_again = visit(
        personas.grid_worker, person, "phone-1-visit-0001", at=MONDAY - dt.timedelta(hours=1)
    )
    assert created and not created_again
    assert first.pk == again.pk
    assert Visit.objects.filter(key_person=person).count() == 1


def test_a_client_key_used_for_another_person_is_a_conflict(person, personas, world):
    other = make_key_person(personas.grid_worker, make_resident(personas.grid_worker, world, name="王五"))
    visit(personas.grid_worker, person, "phone-1-visit-0002", at=MONDAY)
    with pytest.raises(Conflict):
        visit(personas.grid_worker, other, "phone-1-visit-0002", at=MONDAY)


def test_a_visit_moves_the_due_date_by_the_frequency_of_its_category_and_risk(person, personas):
    visit(personas.grid_worker, person, "phone-1-visit-0003", at=MONDAY - dt.timedelta(days=1))
    person.refresh_from_db()
    assert person.next_visit_due == dt.date(2026, 3, 8)  # visited 1 March + 7 days


def test_overdue_and_due_soon_follow_the_frozen_clock(person, personas, frozen):
    now = clock.now()
    assert list(selectors.overdue(KeyPerson.objects.all(), now=now)) == [person]  # due 8 February
    visit(personas.grid_worker, person, "phone-1-visit-0004", at=now)
    assert not selectors.overdue(KeyPerson.objects.all(), now=now).exists()
    assert list(selectors.due_soon(KeyPerson.objects.all(), now=now)) == [person]
    frozen.move_to(MONDAY + dt.timedelta(days=8))
    assert list(selectors.overdue(KeyPerson.objects.all(), now=clock.now())) == [person]


def test_a_visit_that_lowers_the_risk_is_kept_in_the_status_history_with_its_reason(person, personas):
    v, _ = visit(
        personas.grid_worker, person, "phone-1-visit-0005", at=MONDAY,
        risk_after=RiskLevel.LOW, reason="连续三个月尿检阴性",
    )  # fmt: skip
    person.refresh_from_db()
    change = KeyPersonChange.objects.filter(key_person=person).first()
    assert person.risk_level == RiskLevel.LOW
    assert (change.risk_from, change.risk_to, change.reason, change.visit_id) == (
        RiskLevel.HIGH, RiskLevel.LOW, "连续三个月尿检阴性", v.pk,
    )  # fmt: skip
    assert person.next_visit_due == dt.date(2026, 3, 2) + dt.timedelta(days=30)  # low: monthly


def test_a_change_of_status_needs_a_reason_and_releasing_ends_the_visit_duty(person, personas):
    with pytest.raises(InvalidInput):
        services.key_person_change(
            actor=personas.grid_worker, key_person_id=person.pk, status=KeyPersonStatus.RELEASED, reason=" ",
            now=clock.now(),
        )  # fmt: skip
    services.key_person_change(
        actor=personas.grid_worker, key_person_id=person.pk, status=KeyPersonStatus.RELEASED,
        reason="矫正期满,依法解除", now=clock.now(),
    )  # fmt: skip
    person.refresh_from_db()
    assert person.next_visit_due is None
    assert not selectors.overdue(KeyPerson.objects.all(), now=clock.now()).exists()


def test_editing_the_frequency_table_moves_the_due_dates_it_governs(person, personas):
    services.visit_frequency_set(
        actor=personas.county_leader, category_code="drug_user", risk_level=RiskLevel.HIGH, every_days=3,
        now=clock.now(),
    )  # fmt: skip
    person.refresh_from_db()
    assert person.next_visit_due == dt.date(2026, 2, 4)


def test_a_worker_sees_its_own_overdue_visits_and_a_centre_sees_them_counted_by_child_region(
    person, personas, world
):
    now = clock.now()
    mine = selectors.my_visits(personas.grid_worker, now=now)
    assert list(mine["overdue"]) == [person]
    root, rows = selectors.visits_rollup(personas.county_leader, now=now)
    assert root == world.county
    row = next(r for r in rows if r.region == world.township)
    assert (row.under_duty, row.overdue) == (1, 1)
    assert sum(r.overdue for r in rows) == 1
    _, far_rows = selectors.visits_rollup(personas.other_county_leader, now=now)
    assert sum(r.overdue for r in far_rows) == 0


def test_a_visit_outside_ones_grids_is_refused(person, personas, world):
    from gridgov.accounts.enums import GridDuty, Role
    from gridgov.accounts.models import GridStaff
    from gridgov.core.errors import Forbidden
    from tests.conftest import _center, make_user

    stranger = make_user("gw2", Role.GRID_WORKER, center=_center(world.community))
    GridStaff.objects.create(grid=world.other_grid, user=stranger, duty=GridDuty.WORKER)
    with pytest.raises(Forbidden):
        visit(stranger, person, "phone-2-visit-0001", at=MONDAY)
    assert not Visit.objects.exists()
