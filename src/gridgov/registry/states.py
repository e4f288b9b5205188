"""The hazard's whole life on one screen: for each act, where it may start and where it leads.

found ──order──▶ ordered ──rectify──▶ rectified ──check_pass──▶ checked
                   ▲                      │
                   └──────check_fail──────┘

`order` needs a deadline (a date not in the past) and what must be done; `rectify` says what
was done; a check passes or fails with a note, and a failed check orders again (a new deadline).
"""

from __future__ import annotations

from gridgov.registry.enums import HazardAction as A
from gridgov.registry.enums import HazardStatus as S

TRANSITIONS: dict[A, tuple[frozenset[S], S]] = {
    A.ORDER: (frozenset({S.FOUND}), S.ORDERED),
    A.RECTIFY: (frozenset({S.ORDERED}), S.RECTIFIED),
    A.CHECK_PASS: (frozenset({S.RECTIFIED}), S.CHECKED),
    A.CHECK_FAIL: (frozenset({S.RECTIFIED}), S.ORDERED),
}

OPEN = frozenset({S.FOUND, S.ORDERED, S.RECTIFIED})
NEEDS_DEADLINE = frozenset({A.ORDER, A.CHECK_FAIL})


def actions_from(status: S) -> list[A]:
    return [a for a, (sources, _) in TRANSITIONS.items() if status in sources]
