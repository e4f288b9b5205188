"""The field demo seeder: runs through the services, twice without doubling anything."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from gridgov.core import clock
from gridgov.field import demo
from gridgov.field.models import HouseholdVisit, Patrol, PatrolPlan
from gridgov.field.selectors import compliance_for

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_week_of_patrols_and_visits_once(world, personas, police):
    now = clock.now()
    lines = demo.seed_demo(city=world.city, now=now, out=io.StringIO(), options={})
    assert "演示数据(合成)" in lines[0]
    patrols, visits = Patrol.objects.count(), HouseholdVisit.objects.count()
    assert patrols > 0 and visits == 7
    assert all(p.distance_m > 0 and p.status == "done" for p in Patrol.objects.all())
    assert Patrol.objects.filter(police=police).exists()
    today = PatrolPlan.objects.filter(grid=world.grid, worker=personas.grid_worker)
    assert today.count() == 2 and all(p.joint and p.police_id == police.pk for p in today)
    plans = PatrolPlan.objects.count()
    demo.seed_demo(city=world.city, now=now, out=io.StringIO(), options={})
    assert (Patrol.objects.count(), HouseholdVisit.objects.count()) == (patrols, visits)
    assert PatrolPlan.objects.count() == plans
    yesterday = (now - timedelta(days=1)).date()
    assert compliance_for(personas.grid_worker, day=yesterday).joint >= 1
