from __future__ import annotations

import io

import pytest

from gridgov.bulk.demo import seed_demo
from gridgov.core import clock
from gridgov.registry.models import Address, House, Organization, Resident

pytestmark = pytest.mark.django_db


def test_the_demo_registers_are_synthetic_in_proportion_and_a_second_start_adds_nothing(
    world, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    lines = seed_demo(city=world.city, now=clock.now(), out=out, options={"registers_scale": 20_000})
    people, addresses = Resident.objects.count(), Address.objects.count()
    assert people == 4_578_000 // 20_000
    assert addresses >= 2_729_000 // 20_000
    assert House.objects.count() >= 120 and Organization.objects.count() == 135_000 // 20_000
    assert set(Resident.objects.values_list("source", flat=True)) == {"synthetic"}
    assert Resident.objects.filter(grid__isnull=True).count() == 0
    assert "演示数据(合成)" in lines[0]
    again = seed_demo(city=world.city, now=clock.now(), out=out, options={"registers_scale": 20_000})
    assert (Resident.objects.count(), Address.objects.count()) == (people, addresses)
    assert "未重复生成" in again[0]
