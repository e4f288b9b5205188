"""Check digits and normal forms of the registers' identifiers.

- GB 11643-1999 citizen identity number: 17 digits + a check character (0-9 or X), ISO 7064
  MOD 11-2. The 15-digit numbers of the first generation are no longer valid documents and are
  refused.
- GB 32100-2015 unified social credit code: 18 characters from a 31-letter alphabet (no I, O,
  S, V, Z), the 18th a MOD 31 check character.
- The address key: what makes two spellings of one standard address the same row, so that a
  re-import finds the address instead of adding a twin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

from gridgov.core.errors import InvalidInput

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")

USC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USC_SHAPE = re.compile(rf"^[{USC_ALPHABET}]{{18}}$")


def _halfwidth(value: str) -> str:
    # NFKC folds full-width digits and letters (１２３ｘ), which phones' IMEs often produce.
    return unicodedata.normalize("NFKC", value or "")


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s", "", _halfwidth(value)).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_is_male(value: str) -> bool:
    # The 17th digit: odd for men, even for women.
    return int(value[16]) % 2 == 1


def check_id_number(value: str, *, today: dt.date | None = None) -> str:
    """The normal form of a valid GB 11643 number, or InvalidInput saying what is wrong."""
    v = normalize_id_number(value)
    if not v:
        raise InvalidInput("身份证号码不能为空", "the ID number is required", code="id_number_required")
    if len(v) == 15 and v.isdigit():
        raise InvalidInput(
            "15 位旧身份证号码已停止使用,请填写 18 位号码",
            "15-digit ID numbers are no longer valid; give the 18-digit number",
            code="id_number_invalid",
        )
    if not _ID_SHAPE.match(v):
        raise InvalidInput(
            "身份证号码应为 18 位:17 位数字加 1 位校验码(数字或 X)",
            "an ID number has 18 characters: 17 digits and a check digit (0-9 or X)",
            code="id_number_invalid",
        )
    try:
        born = id_birth_date(v)
    except ValueError:
        raise InvalidInput(
            "身份证号码中的出生日期无效",
            "the date of birth in the ID number is not a date",
            code="id_number_invalid",
        ) from None
    if born < dt.date(1880, 1, 1) or born > (today or dt.date.today()):
        raise InvalidInput(
            "身份证号码中的出生日期不合理",
            "the date of birth in the ID number is out of range",
            code="id_number_invalid",
        )
    if id_check_char(v[:17]) != v[17]:
        raise InvalidInput(
            "身份证号码校验位错误,请核对",
            "the ID number's check digit is wrong; check the number",
            code="id_number_checksum",
        )
    return v


def usc_check_char(first17: str) -> str:
    total = sum(USC_ALPHABET.index(c) * w for c, w in zip(first17, _USC_WEIGHTS, strict=True))
    return USC_ALPHABET[(31 - total % 31) % 31]


def normalize_usc_code(value: str) -> str:
    return re.sub(r"\s", "", _halfwidth(value)).upper()


def check_usc_code(value: str) -> str:
    """The normal form of a valid GB 32100 code, or InvalidInput saying what is wrong."""
    v = normalize_usc_code(value)
    if not v:
        raise InvalidInput(
            "统一社会信用代码不能为空", "the unified social credit code is required", code="usc_code_required"
        )
    if not _USC_SHAPE.match(v):
        raise InvalidInput(
            "统一社会信用代码应为 18 位数字或大写字母(不含 I、O、S、V、Z)",
            "a unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)",
            code="usc_code_invalid",
        )
    if usc_check_char(v[:17]) != v[17]:
        raise InvalidInput(
            "统一社会信用代码校验位错误,请核对",
            "the unified social credit code's check character is wrong; check the code",
            code="usc_code_checksum",
        )
    return v


def normalize_address_part(value: str) -> str:
    return re.sub(r"\s+", "", _halfwidth(value)).strip()


# The suffix a part is written with or without: "12号" and "12" are one number.
_SUFFIXES = (("号",), ("号楼", "栋", "幢"), ("单元",), ("室",))


def address_parts(number: str, building: str, unit: str, room: str) -> tuple[str, str, str, str]:
    """Normal forms of the parts below the road, without their customary suffixes."""
    out = []
    for value, suffixes in zip((number, building, unit, room), _SUFFIXES, strict=True):
        v = normalize_address_part(value)
        for suffix in suffixes:
            if v.endswith(suffix) and len(v) > len(suffix):
                v = v[: -len(suffix)]
                break
        out.append(v)
    return out[0], out[1], out[2], out[3]


def address_key(community_code: str, road: str, number: str, building: str, unit: str, room: str) -> str:
    """SHA-256 (hex, 64) of the community code and the normal form of each part."""
    parts = [community_code, normalize_address_part(road), *address_parts(number, building, unit, room)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def address_text(
    community_full_name: str, road: str, number: str, building: str, unit: str, room: str
) -> str:
    """The printed address: 城关区张掖路街道xx社区 + 张掖路12号3栋2单元301."""
    number, building, unit, room = address_parts(number, building, unit, room)
    out = community_full_name + normalize_address_part(road)
    out += f"{number}号" if number else ""
    out += f"{building}栋" if building else ""
    out += f"{unit}单元" if unit else ""
    return out + room
