"""Showing personal data: masks for phones, Chinese names and ID numbers, and the normal form
a phone number is reduced to before its blind index is computed (so "138-1234-5678",
"+86 13812345678" and "13812345678" find the same person).

Every API answer masks by default; the unmasked value is read only through an audited path
(see docs/cases.md, "Personal data").
"""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")


def normalize_phone(value: str) -> str:
    digits = _NOT_DIGIT.sub("", value or "")
    # A mainland mobile written with the country code: +86 / 0086 138…
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            return digits[len(prefix) :]
    return digits


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678 (11+ digits: the first 3 and last 4 stay); 7–10 digits keep 2
    and 4; shorter ones only their last two."""
    if not value:
        return ""
    digits = normalize_phone(value)
    if len(digits) >= 11:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}{'*' * (len(digits) - 6)}{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***, Li Lei → L*****: the first character only."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_id_number(value: str) -> str:
    """620102199001011234 → 6201**********1234: the prefecture and the last four stay."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
