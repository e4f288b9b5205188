from __future__ import annotations

import pytest

from gridgov.core.pii import mask_id_number, mask_name, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0931-8881234", "093****1234"),
        ("8881234", "88*1234"),
        ("", ""),
    ],
)
def test_phones_keep_their_head_and_tail(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "王*"), ("", "")])
def test_names_keep_the_family_name(raw, masked):
    assert mask_name(raw) == masked


def test_id_numbers_keep_the_prefecture_and_the_last_four():
    assert mask_id_number("620102199001011234") == "6201**********1234"
    assert mask_id_number("1234") == "****"


def test_phones_have_one_normal_form():
    assert normalize_phone("+86 138 1234 5678") == normalize_phone("0086-13812345678") == "13812345678"
    assert normalize_phone("0931-8881234") == "09318881234"
