"""GB 11643 (ID numbers) and GB 32100 (unified social credit codes), with the examples printed
in the standards themselves and numbers of the same form."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.errors import InvalidInput
from gridgov.registry.validators import address_key, check_id_number, check_usc_code


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the example of GB 11643-1999, with the X check character
        "11010519491231002x",  # written with a small x
        "440524188001010014",  # the standard's second example
        "62010219900307123X",
        " 6201 0219 9003 0712 3X ",  # spaces as people type them
        "６２０１０２１９９００３０７１２３ｘ",  # full-width digits from a phone's keyboard
    ],
)
def test_it_accepts_a_valid_id_number_and_returns_its_normal_form(value):
    normal = check_id_number(value, today=dt.date(2026, 3, 2))
    assert len(normal) == 18 and normal == normal.upper() and " " not in normal


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_number_checksum"),  # the X example with a wrong last digit
        ("620102199003071233", "id_number_checksum"),
        ("620102199002301232", "id_number_invalid"),  # 30 February
        ("620102203001011232", "id_number_invalid"),  # born in the future
        ("620102900307123", "id_number_invalid"),  # 15 digits: first generation, no longer valid
        ("62010219900307123", "id_number_invalid"),  # 17 characters
        ("6201021990030712X2", "id_number_invalid"),  # X not in last place
        ("", "id_number_required"),
    ],
)
def test_it_refuses_an_invalid_id_number_saying_why(value, code):
    with pytest.raises(InvalidInput) as caught:
        check_id_number(value, today=dt.date(2026, 3, 2))
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015
        "91110000802100433B",
        "91350100m000100y43",  # lower case, as typed
    ],
)
def test_it_accepts_a_valid_unified_social_credit_code(value):
    assert check_usc_code(value) == value.upper()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y44", "usc_code_checksum"),
        ("91110000802100433C", "usc_code_checksum"),
        ("91350100M000100I43", "usc_code_invalid"),  # I is not in the alphabet
        ("91350100M000100Y4", "usc_code_invalid"),  # 17 characters
        ("", "usc_code_required"),
    ],
)
def test_it_refuses_an_invalid_credit_code_saying_why(value, code):
    with pytest.raises(InvalidInput) as caught:
        check_usc_code(value)
    assert caught.value.code == code


def test_two_spellings_of_one_address_have_one_key():
    a = address_key("620102001001", "张掖路", "12号", "3", "2", "301")
    b = address_key("620102001001", " 张掖路 ", "１２号", "3", "2", "301")
    assert a == b
    assert a != address_key("620102001002", "张掖路", "12号", "3", "2", "301")
