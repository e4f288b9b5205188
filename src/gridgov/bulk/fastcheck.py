"""GB 11643 check digits for a whole batch at once, with numpy.

Only a shortcut: a number this accepts is one `registry.validators.check_id_number` accepts
unchanged (ASCII, already in normal form, a real date of birth in range, the right check
character); anything else goes through `check_id_number` itself, which gives the precise
message. tests/bulk/test_fastcheck.py holds the two to agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from gridgov.registry.validators import id_check_char

# ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11.
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)


def _check_table() -> NDArray[np.uint8]:
    """Check character by weighted sum mod 11, read from the validator itself so the two cannot
    drift apart: bodies ending in two digits (weights 4 and 2) reach every residue."""
    table = np.zeros(11, dtype=np.uint8)
    found = set()
    for a in range(10):
        for b in range(10):
            body = "0" * 15 + f"{a}{b}"
            r = (4 * a + 2 * b) % 11
            if r not in found:
                table[r] = ord(id_check_char(body))
                found.add(r)
    assert len(found) == 11
    return table


_TABLE = _check_table()
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def id_numbers_ok(values: Sequence[str], *, today: dt.date) -> NDArray[np.bool_]:
    """For each value: True when it is certainly a valid GB 11643 number in normal form."""
    n = len(values)
    ok = np.zeros(n, dtype=bool)
    if not n:
        return ok
    shaped = np.array([len(v) == 18 and v.isascii() for v in values], dtype=bool)
    idx = np.flatnonzero(shaped)
    if not len(idx):
        return ok
    raw = np.frombuffer("".join(values[int(i)] for i in idx).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - 48
    good = ((digits >= 0) & (digits <= 9)).all(axis=1) & (raw[:, 0] != 48)
    good &= ((raw[:, 17] >= 48) & (raw[:, 17] <= 57)) | (raw[:, 17] == ord("X"))
    digits = np.where(good[:, None], digits, 0)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    limit = np.where((month == 2) & ~leap, 28, _DAYS[np.clip(month, 0, 12)])
    good &= month_ok & (day >= 1) & (day <= limit)
    born = year * 10000 + month * 100 + day
    good &= (born >= 18800101) & (born <= today.year * 10000 + today.month * 100 + today.day)
    good &= _TABLE[(digits @ _WEIGHTS) % 11] == raw[:, 17]
    ok[idx] = good
    return ok
