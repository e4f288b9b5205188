"""The registry's demo seeder: synthetic, through the services, some key persons overdue, and a
second run adds nothing."""

from __future__ import annotations

import io

from django.utils import timezone

from gridgov.core import clock
from gridgov.registry.demo import seed_demo
from gridgov.registry.enums import DataSource
from gridgov.registry.models import Facility, Hazard, KeyPerson, Resident, Visit


def test_the_demo_seeds_key_persons_with_visits_some_overdue_and_is_idempotent(world):
    now = clock.now()
    out = io.StringIO()
    lines = seed_demo(city=world.city, now=now, out=out, options={})
    assert lines and "演示数据(合成)" in lines[0]
    persons = KeyPerson.objects.filter(source=DataSource.SYNTHETIC)
    assert persons.count() == 130
    assert persons.filter(next_visit_due__lt=timezone.localdate(now)).exists()
    assert persons.filter(next_visit_due__gte=timezone.localdate(now)).exists()
    assert Visit.objects.count() > persons.count()
    assert not Resident.objects.exclude(source=DataSource.SYNTHETIC).exists()
    assert Hazard.objects.filter(status="checked").exists() and Hazard.objects.filter(status="found").exists()
    counts = (
        Resident.objects.count(),
        Visit.objects.count(),
        Facility.objects.count(),
        Hazard.objects.count(),
    )
    seed_demo(city=world.city, now=now, out=out, options={})
    assert counts == (
        Resident.objects.count(),
        Visit.objects.count(),
        Facility.objects.count(),
        Hazard.objects.count(),
    )
