"""Removing personal numbers from public text; the demo seeders run twice without doubling."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case
from gridgov.core import clock
from gridgov.open311 import demo as open311_demo
from gridgov.open311.models import Open311Client
from gridgov.portal import demo as portal_demo
from gridgov.portal.scrub import HIDDEN, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请联系13812345678", f"请联系{HIDDEN}"),
        ("电话 138-1234-5678 或 +86 138 1234 5678", f"电话 {HIDDEN} 或 {HIDDEN}"),
        ("座机0931-8123456,(0931)8123456", f"座机{HIDDEN},{HIDDEN}"),
        ("身份证62010219900101123X已核实", f"身份证{HIDDEN}已核实"),
        ("旧证号620102900101123", f"旧证号{HIDDEN}"),
        ("已清运 3 车,共 12 吨,2026 年 3 月完成", "已清运 3 车,共 12 吨,2026 年 3 月完成"),
        ("编号 620102-20260302-0007 已办结", "编号 620102-20260302-0007 已办结"),
    ],
)
def test_phone_and_id_numbers_are_hidden_and_other_numbers_stay(text, expected):
    assert scrub(text) == expected


@pytest.mark.django_db
def test_the_demo_seeders_add_their_data_once(world, personas, monday):
    first = portal_demo.seed_demo(city=world.city, now=clock.now(), out=None, options={})
    again = portal_demo.seed_demo(city=world.city, now=clock.now(), out=None, options={})
    assert Case.objects.count() == 1 and first == again
    number = Case.objects.get().number
    assert number in first[0]
    issued = open311_demo.seed_demo(city=world.city, now=clock.now(), out=None, options={})
    assert "o311_" in issued[0]
    later = open311_demo.seed_demo(city=world.city, now=clock.now(), out=None, options={})
    assert "o311_" not in later[0] and Open311Client.objects.count() == 1
