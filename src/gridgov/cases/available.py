"""The acts a user may take on a case right now: the rules of states.py whose status and level
fit the case, filtered by the same permission check the service applies (services/permissions).
The pages show exactly these; the service still decides when the act is posted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgov.cases.enums import CaseAction, CaseStatus, Outcome
from gridgov.cases.models import Case
from gridgov.cases.services.permissions import may_act
from gridgov.cases.states import RULES


@dataclass(frozen=True)
class Available:
    action: CaseAction
    outcomes: tuple[Outcome, ...]  # for check / follow_up: the outcomes this user may conclude

    @property
    def value(self) -> str:
        return self.action.value

    @property
    def label(self) -> str:
        return self.action.label


def acts_available(user: Any, case: Case) -> list[Available]:
    """In the order of the table. `case` needs owner_center.region loaded (the UPPER check)."""
    if not getattr(user, "is_authenticated", False) or (case.parent_id and case.status == CaseStatus.MERGED):
        return []
    found: dict[CaseAction, list[Outcome]] = {}
    for rule in RULES:
        if case.status not in rule.sources:
            continue
        if rule.levels is not None and case.level not in rule.levels:
            continue
        if not may_act(user, rule, case):
            continue
        outcomes = found.setdefault(rule.action, [])
        if rule.outcome is not None:
            outcomes.append(rule.outcome)
    return [Available(action, tuple(outcomes)) for action, outcomes in found.items()]
