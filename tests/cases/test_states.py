"""The table of states.py is complete and the docs show it as it is."""

from __future__ import annotations

from pathlib import Path

from gridgov.cases.enums import SYSTEM_ACTIONS, CaseAction, CaseStatus
from gridgov.cases.services.loop import EFFECTS
from gridgov.cases.states import RULES, Target, table_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cases.md"


def test_every_act_a_person_can_ask_for_has_a_rule_and_an_effect():
    people_acts = {a for a in CaseAction if a not in SYSTEM_ACTIONS}
    assert {r.action for r in RULES} == people_acts
    assert set(EFFECTS) == people_acts


def test_every_status_can_be_reached_from_received():
    reached, frontier = {CaseStatus.RECEIVED}, [CaseStatus.RECEIVED]
    while frontier:
        status = frontier.pop()
        for r in RULES:
            if status in r.sources and isinstance(r.target, CaseStatus) and r.target not in reached:
                reached.add(r.target)
                frontier.append(r.target)
    assert reached == set(CaseStatus)


def test_only_suspension_leads_back_to_the_status_before_it():
    assert [r.action for r in RULES if r.target is Target.PREVIOUS] == [CaseAction.RESUME]


def test_the_docs_show_the_table_as_generated():
    assert table_markdown() in DOCS.read_text(encoding="utf-8")
