"""The batch shortcuts agree with the validator and the field they stand in for."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.bulk.fastcheck import id_numbers_ok
from gridgov.bulk.sealing import FieldSealer, Opener
from gridgov.core.errors import InvalidInput
from gridgov.registry.models import Resident
from gridgov.registry.validators import check_id_number, id_check_char

TODAY = dt.date(2026, 11, 21)


def _slow_ok(value: str) -> bool:
    try:
        return check_id_number(value, today=TODAY) == value
    except InvalidInput:
        return False


bodies = st.builds(
    lambda region, y, m, d, seq: f"{region}{y:04d}{m:02d}{d:02d}{seq:03d}",
    st.integers(100000, 999999),
    st.integers(1870, 2030),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 999),
)


@settings(max_examples=400, deadline=None)
@given(body=bodies, last=st.sampled_from("0123456789Xx"), right=st.booleans())
def test_the_batch_check_accepts_exactly_what_the_validator_accepts_unchanged(body, last, right):
    value = body + (id_check_char(body) if right else last)
    assert bool(id_numbers_ok([value], today=TODAY)[0]) == _slow_ok(value)


@pytest.mark.parametrize(
    "value",
    [
        "620102199001011233",
        "11010519491231002X",
        "620102200002291238",
        "620102190002291234",
        "６２０１０２１９９００１０１１２３３",
        "62010219900101123",
        "620102199013011233",
        " 620102199001011233",
        "020102199001011233",
        "",
    ],
)
def test_real_form_examples_agree(value):
    assert bool(id_numbers_ok([value], today=TODAY)[0]) == _slow_ok(value)


def test_sealed_values_and_indexes_are_what_the_field_itself_reads_and_finds(db):
    field = Resident._meta.get_field("id_number")
    sealer = FieldSealer(Resident, "id_number")
    values = ["620102199001011233", "11010519491231002X", ""]
    sealed = sealer.seal(values)
    assert [field.from_db_value(t, None, None) for t in sealed] == values
    assert Opener(Resident, "id_number").open(sealed[0]) == values[0]
    assert sealer.index(values) == [field.index_for(v) for v in values]
    phone = Resident._meta.get_field("phone")
    assert FieldSealer(Resident, "phone").index(["+86 138-1234-5678"]) == [phone.index_for("13812345678")]


part = st.one_of(st.just(""), st.from_regex(r"[0-9A-Za-z]{1,5}", fullmatch=True))


@settings(max_examples=200, deadline=None)
@given(road=st.sampled_from(["张掖路", " 庆阳 路", "Ｂ街"]), number=part, building=part, unit=part, room=part)
def test_the_address_shortcut_gives_the_validators_key_and_text(road, number, building, unit, room):
    from gridgov.bulk.resolve import AddressParts, CommunityRef, normal_parts
    from gridgov.registry.validators import address_key, address_parts, address_text, normalize_address_part

    community = CommunityRef(1, "620102001001", "测试社区", "城关区测试街道测试社区")
    fast = normal_parts(AddressParts(community, road, number, building, unit, room, None, None), {})
    parts = address_parts(number, building, unit, room)
    r = normalize_address_part(road)
    assert fast.key == address_key(community.code, r, *parts)
    assert fast.text == address_text(community.full_name, r, *parts)
    assert (fast.road, fast.number, fast.building, fast.unit, fast.room) == (r, *parts)
