"""The only writers of cases. Every status change goes through `case_act`; the named helpers
below are the same act with its fields spelled out, for callers in code (tasks, commands)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gridgov.cases.enums import CaseAction
from gridgov.cases.models import Case
from gridgov.cases.services.attachments import attachment_upload
from gridgov.cases.services.categories import categories_load
from gridgov.cases.services.intake import CaseDraft, case_create
from gridgov.cases.services.loop import ActParams, case_act, case_clock_tick

__all__ = [
    "ActParams",
    "CaseDraft",
    "attachment_upload",
    "case_act",
    "case_assist",
    "case_clock_tick",
    "case_create",
    "case_escalate",
    "case_merge",
    "categories_load",
]


def case_escalate(*, actor: Any, number: str, reason: str, now: datetime) -> Case:
    return case_act(
        actor=actor, number=number, action=CaseAction.ESCALATE, params=ActParams(reason=reason), now=now
    )


def case_merge(*, actor: Any, number: str, parent_number: str, now: datetime) -> Case:
    return case_act(
        actor=actor,
        number=number,
        action=CaseAction.MERGE,
        params=ActParams(parent_number=parent_number),
        now=now,
    )


def case_assist(
    *, actor: Any, number: str, department_codes: Sequence[str], note: str, now: datetime
) -> Case:
    return case_act(
        actor=actor,
        number=number,
        action=CaseAction.ASSIST,
        params=ActParams(department_codes=tuple(department_codes), note=note),
        now=now,
    )
