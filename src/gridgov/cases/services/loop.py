"""The closed loop: `case_act` is the one function that changes a case's status.

Every act, in one transaction: lock the case row, look the act up in states.RULES (409 when the
status does not allow it, 403 when the user is not among the people the rule names), apply the
act's own effects, recompute deadlines and colour, write exactly one CaseEvent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Center, Department
from gridgov.cases.enums import (
    SYSTEM_ACTIONS,
    CaseAction,
    CaseStatus,
    ExtensionStatus,
    NoticeKind,
    Outcome,
    PartRole,
    PartStatus,
    PauseKind,
    Rating,
)
from gridgov.cases.models import Case, CaseEvent, CaseExtension, CasePart, CasePause, Notice
from gridgov.cases.selectors import case_lock_for, user_units_light
from gridgov.cases.services.attachments import attachments_claim
from gridgov.cases.services.clocks import clocks_recompute, colour_notices, notice_issue, policy_for
from gridgov.cases.services.permissions import may_act
from gridgov.cases.services.routing import center_for
from gridgov.cases.states import Rule, Target, actions_from, rule_for
from gridgov.core.errors import Conflict, Forbidden, InvalidInput
from gridgov.geo.models import Region
from gridgov.sla.durations import Duration
from gridgov.sla.enums import DurationUnit

A, S = CaseAction, CaseStatus
MAX_EXTENSION = {DurationUnit.WORKDAYS: 30, DurationUnit.WORK_HOURS: 200, DurationUnit.HOURS: 720}


@dataclass(frozen=True)
class ActParams:
    note: str = ""
    reason: str = ""
    department_code: str = ""
    department_codes: tuple[str, ...] = ()
    region_code: str = ""
    rating: Rating | None = None
    passed: bool | None = None
    amount: int | None = None
    unit: DurationUnit | None = None
    parent_number: str = ""
    part_id: int | None = None
    notice_id: int | None = None
    respond_by: datetime | None = None
    attachment_ids: tuple[int, ...] = ()
    expected_version: int | None = None


def _missing(field: str, zh: str) -> InvalidInput:
    return InvalidInput(f"缺少{zh}({field})", f"{field} is required for this action", code="missing_field")


def _outcome(action: CaseAction, p: ActParams) -> Outcome | None:
    if action == A.CHECK:
        if p.passed is None:
            raise _missing("passed", "核查结论")
        return Outcome.PASSED if p.passed else Outcome.FAILED
    if action == A.FOLLOW_UP:
        if p.rating is None:
            raise _missing("rating", "评价")
        return Outcome.UNSATISFIED if p.rating == Rating.UNSATISFIED else Outcome.SATISFIED
    return None


def _region_chain(region: Region) -> list[int]:
    ids: list[int] = []
    pk: int | None = region.pk
    while pk is not None:
        ids.append(pk)
        pk = Region.objects.filter(pk=pk).values_list("parent_id", flat=True).first()
    return ids[::-1]


def _department(code: str, case: Case, *, pk: int | None = None) -> Department:
    lookup = {"code": code} if pk is None else {"pk": pk}
    dept = Department.objects.select_related("region").defer("region__boundary").filter(**lookup).first()
    if dept is None:
        raise InvalidInput(f"部门 {code} 不存在", f"no department {code}", code="bad_department")
    if not dept.region.code.startswith(case.owner_center.region.prefix):
        raise InvalidInput(
            f"{dept.name} 不在 {case.owner_center.name} 的辖区内",
            f"{dept.name} is outside the territory of {case.owner_center.name}",
            code="department_out_of_reach",
        )
    return dept


def _reopen(case: Case, now: datetime) -> None:
    case.redo_count += 1
    case.finished_at = None
    case.closed_at = None
    case.finish_started_at = now
    CasePart.objects.filter(case=case, role=PartRole.LEAD).update(status=PartStatus.OPEN, done_at=None)


# --- the effects of each act, beyond the status change ---------------------------------------
# Each returns the facts the event records. They raise a DomainError to refuse; the transaction
# then writes nothing.

Effect = Callable[[Case, Any, ActParams, datetime], dict[str, Any]]


def _accept(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    case.accepted_at = now
    return {}


def _needs_reason(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.reason.strip():
        raise _missing("reason", "理由")
    return {"reason": p.reason}


def _nothing(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    return {}


def _dispatch(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if p.department_code:
        dept = _department(p.department_code, case)
    elif case.routed_department_id is not None:
        dept = _department("", case, pk=case.routed_department_id)
    else:
        raise _missing("department_code", "承办部门")
    case.owner_department = dept
    notice_issue(case=case, kind=NoticeKind.ASSIGNMENT, now=now, text=p.note, issued_by=actor)
    return {"department": dept.code}


def _contact(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    first = case.contacted_at is None
    if first:
        case.contacted_at = now
    return {"first_contact": first}


def _report_back(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.note.strip():
        raise _missing("note", "办理结果")
    case.result = p.note
    case.finished_at = now
    CasePart.objects.filter(case=case, role=PartRole.LEAD, status=PartStatus.OPEN).update(
        status=PartStatus.DONE, result=p.note, done_at=now
    )
    return {}


def _check(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.passed:
        if not p.reason.strip():
            raise _missing("reason", "核查不通过的理由")
        _reopen(case, now)
        return {"passed": False, "reason": p.reason, "redo_count": case.redo_count}
    return {"passed": True}


def _close(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    open_parts = list(case.parts.filter(status=PartStatus.OPEN).select_related("department"))
    if open_parts:
        names = "、".join(part.department.name for part in open_parts)
        raise Conflict(
            f"协办部门尚未完成:{names}",
            f"{len(open_parts)} assisting part(s) are not done yet",
            code="parts_open",
            departments=[part.department.code for part in open_parts],
        )
    case.closed_at = now
    # Children follow the parent: each merged report is closed with the parent's result, and
    # the reporters to tell are the parent's and all its children's. The event keeps the result
    # and the children, so the fan-out texts what was true at closing (cases/fanout.py).
    children: list[str] = []
    for child in Case.objects.select_for_update().filter(parent=case, status=S.MERGED):
        children.append(child.number)
        child.result = case.result
        child.closed_at = now
        child.version += 1
        child.updated_at = now
        child.save(update_fields=["result", "closed_at", "version", "updated_at"])
        CaseEvent.objects.create(
            case=child,
            action=A.PARENT_CLOSED,
            from_status=S.MERGED,
            to_status=S.MERGED,
            actor=actor,
            note=case.result,
            data={"parent": case.number},
            at=now,
        )
    return {"result": case.result, "children": children}


def _follow_up(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    assert p.rating is not None
    case.rating = p.rating
    if p.rating == Rating.UNSATISFIED:
        _reopen(case, now)
        return {"rating": p.rating, "redo_count": case.redo_count}
    return {"rating": p.rating}


def _return(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.reason.strip():
        raise _missing("reason", "退回理由")
    if case.parts.exists():
        raise Conflict(
            "已启动协办的事件不能退回,请联系指挥中心",
            "a case with assisting departments cannot be returned; ask the centre",
            code="assisted_case",
        )
    dept = case.owner_department
    case.owner_department = None
    return {"reason": p.reason, "department": dept.code if dept else None}


def _request_extension(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if p.amount is None or p.unit is None:
        raise _missing("amount/unit", "延期时长")
    if not p.reason.strip():
        raise _missing("reason", "延期理由")
    limit = MAX_EXTENSION.get(p.unit, 0)
    if not 0 < p.amount <= limit:
        raise InvalidInput(
            f"延期时长须在 1 到 {limit} 之间",
            f"amount must lie in 1..{limit} for {p.unit}",
            code="bad_extension",
        )
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise Conflict(
            "已有待审批的延期申请", "an extension request is already pending", code="extension_pending"
        )
    ext = CaseExtension.objects.create(
        case=case, amount=p.amount, unit=p.unit, reason=p.reason, requested_by=actor, requested_at=now
    )
    return {"extension": ext.pk, "duration": Duration(p.amount, p.unit).short(), "reason": p.reason}


def _decide_extension(approve: bool) -> Effect:
    def effect(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
        ext = case.extensions.filter(status=ExtensionStatus.PENDING).first()
        if ext is None:
            raise Conflict("没有待审批的延期申请", "no extension request is pending", code="no_extension")
        ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        ext.decided_by, ext.decided_at = actor, now
        ext.save(update_fields=["status", "decided_by", "decided_at"])
        return {"extension": ext.pk, "approved": approve}

    return effect


def _suspend(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    facts = _needs_reason(case, actor, p, now)
    case.suspended_from = case.status
    CasePause.objects.create(case=case, kind=PauseKind.SUSPENSION, started_at=now)
    return facts


def _resume(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    case.pauses.filter(ended_at__isnull=True).update(ended_at=now)
    return {}


DEADLINE_FIELDS = {"contact": "contact_due_at", "finish": "finish_due_at", "feedback": "feedback_due_at"}


def _deadlines(case: Case) -> dict[str, str | None]:
    # Local time (Beijing), as people read them on the case page.
    return {
        k: (timezone.localtime(v).isoformat() if (v := getattr(case, f)) else None)
        for k, f in DEADLINE_FIELDS.items()
    }


def _policy_for_new_level(case: Case, facts: dict[str, Any]) -> None:
    """A case that changes level takes the deadline policy of its new level (a county's table
    may give more days than a community's, docs/deadlines.md). The clocks keep their starts; the
    durations change, so the deadlines move. The event records both: the old deadlines here,
    the new ones once the act has recomputed the clocks (`_record_new_deadlines`)."""
    policy = policy_for(category=case.category, urgency=case.urgency, level=case.level)
    old = {"contact": case.policy_contact, "finish": case.policy_finish, "feedback": case.policy_feedback}
    new = {
        "contact": policy.contact.short(),
        "finish": policy.finish.short(),
        "feedback": policy.feedback.short(),
    }
    case.policy_contact, case.policy_finish, case.policy_feedback = (
        new["contact"],
        new["finish"],
        new["feedback"],
    )
    facts["policy"] = {"old": old, "new": new}
    facts["deadlines"] = {"old": _deadlines(case)}


def _record_new_deadlines(case: Case, facts: dict[str, Any]) -> None:
    if "deadlines" in facts:
        facts["deadlines"]["new"] = _deadlines(case)


def _escalate(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    facts = _needs_reason(case, actor, p, now)
    chain = _region_chain(case.owner_center.region)
    upper = center_for(chain[:-1])
    if upper is None:
        raise Conflict("上级没有指挥中心", "there is no centre above this one", code="no_upper_centre")
    facts.update({"from_center": case.owner_center.region.code, "to_center": upper.region.code})
    case.owner_center, case.level = upper, upper.region.level
    case.owner_department = None
    _policy_for_new_level(case, facts)
    return facts


def _send_down(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.region_code:
        raise _missing("region_code", "下级区划")
    region = Region.objects.defer("boundary").filter(code=p.region_code).first()
    here = case.owner_center.region
    if region is None or region.pk == here.pk or not region.code.startswith(here.prefix):
        raise InvalidInput(
            f"{p.region_code} 不是本中心的下级区划",
            f"{p.region_code} is not below this centre",
            code="bad_region",
        )
    if not case.territory_code.startswith(region.prefix):
        raise InvalidInput(
            f"事件不在 {region.name} 辖区内",
            f"the case does not lie in {region.name}",
            code="out_of_territory",
        )
    lower = Center.objects.select_related("region").defer("region__boundary").filter(region=region).first()
    if lower is None:
        raise InvalidInput(f"{region.name} 没有指挥中心", f"{region.name} has no centre", code="no_centre")
    facts = {"from_center": here.code, "to_center": region.code}
    case.owner_center, case.level = lower, region.level
    _policy_for_new_level(case, facts)
    return facts


def _assist(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.department_codes:
        raise _missing("department_codes", "协办部门")
    depts = [_department(code, case) for code in dict.fromkeys(p.department_codes)]
    taken = set(case.parts.values_list("department_id", flat=True))
    for dept in depts:
        if dept.pk == case.owner_department_id or dept.pk in taken:
            raise InvalidInput(
                f"{dept.name} 已在办理此事件", f"{dept.name} already works on this case", code="dup_part"
            )
    if case.owner_department is not None and case.owner_department.pk not in taken:
        CasePart.objects.create(
            case=case, department=case.owner_department, role=PartRole.LEAD, created_at=now
        )
    for dept in depts:
        CasePart.objects.create(case=case, department=dept, role=PartRole.ASSIST, task=p.note, created_at=now)
        notice_issue(
            case=case, kind=NoticeKind.ASSIGNMENT, now=now, text=p.note, issued_by=actor, to_department=dept
        )
    return {"departments": [d.code for d in depts]}


def _part_report(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.note.strip():
        raise _missing("note", "协办结果")
    part = case.parts.get(department_id=actor.department_id, status=PartStatus.OPEN)
    part.status, part.result, part.done_at = PartStatus.DONE, p.note, now
    part.save(update_fields=["status", "result", "done_at"])
    return {"part": part.pk, "department": actor.department.code}


def _merge(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.parent_number:
        raise _missing("parent_number", "主件编号")
    if p.parent_number == case.number:
        raise InvalidInput("不能合并到自身", "a case cannot be merged into itself", code="bad_parent")
    parent = case_lock_for(actor, p.parent_number)
    if parent.status in (S.REJECTED, S.MERGED, S.CLOSED, S.ARCHIVED) or parent.parent_id:
        raise Conflict(
            f"主件 {parent.number} 已办结或已被合并",
            f"case {parent.number} is done or merged",
            code="bad_parent",
        )
    if case.children.exists():
        raise Conflict("该事件下已有合并件,不能再合并", "this case is itself a parent", code="has_children")
    case.parent = parent
    return {"parent": parent.number}


def _supervise(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if not p.note.strip():
        raise _missing("note", "督办要求")
    if p.respond_by is not None and p.respond_by <= now:
        raise InvalidInput("回复期限须晚于现在", "respond_by must lie in the future", code="bad_respond_by")
    notice = notice_issue(
        case=case, kind=NoticeKind.SUPERVISION, now=now, text=p.note, issued_by=actor, respond_by=p.respond_by
    )
    return {"notice": notice.pk}


def _respond(case: Case, actor: Any, p: ActParams, now: datetime) -> dict[str, Any]:
    if p.notice_id is None:
        raise _missing("notice_id", "通知单")
    if not p.note.strip():
        raise _missing("note", "回复内容")
    notice = Notice.objects.select_for_update().filter(pk=p.notice_id, case=case).first()
    if notice is None:
        raise InvalidInput(f"本事件没有通知单 {p.notice_id}", f"no notice {p.notice_id} on this case")
    if notice.responded_at is not None:
        raise Conflict("该通知单已回复", "this notice is already answered", code="already_answered")
    mine = (notice.to_department_id and notice.to_department_id == actor.department_id) or (
        notice.to_center_id and notice.to_center_id == actor.center_id
    )
    if not mine:
        raise Forbidden("该通知单不是发给您单位的", "this notice is addressed to another unit")
    notice.response, notice.responded_by, notice.responded_at = p.note, actor, now
    notice.save(update_fields=["response", "responded_by", "responded_at"])
    return {"notice": notice.pk}


EFFECTS: dict[CaseAction, Effect] = {
    A.ACCEPT: _accept,
    A.REJECT: _needs_reason,
    A.VERIFY: _nothing,
    A.REGISTER: _nothing,
    A.DISPATCH: _dispatch,
    A.CONTACT: _contact,
    A.HANDLE: _nothing,
    A.REPORT_BACK: _report_back,
    A.CHECK: _check,
    A.CLOSE: _close,
    A.FOLLOW_UP: _follow_up,
    A.RETURN: _return,
    A.REQUEST_EXTENSION: _request_extension,
    A.APPROVE_EXTENSION: _decide_extension(True),
    A.REFUSE_EXTENSION: _decide_extension(False),
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
    A.ESCALATE: _escalate,
    A.SEND_DOWN: _send_down,
    A.ASSIST: _assist,
    A.PART_REPORT: _part_report,
    A.MERGE: _merge,
    A.SUPERVISE: _supervise,
    A.RESPOND: _respond,
}


def _values(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def _save_changed(case: Case, before: dict[str, Any]) -> None:
    """Write only the columns the act changed (the version always does): a full UPDATE of some
    fifty columns costs more to build than the whole rest of an act."""
    changed = [name for name, value in _values(case).items() if before[name] != value]
    case.save(update_fields=changed)


def _refuse_by_state(case: Case, action: CaseAction) -> Conflict:
    status = S(case.status)
    return Conflict(
        f"事件当前为“{status.label}”,不能{action.label}",
        f"cannot {action.value} a case that is {status.value}",
        code="action_not_allowed_in_state",
        status=status.value,
        allowed=[a.value for a in actions_from(status)],
    )


def _check_rule(case: Case, actor: Any, action: CaseAction, params: ActParams) -> Rule:
    outcome = _outcome(action, params)
    rule = rule_for(S(case.status), action, outcome)
    if rule is None:
        raise _refuse_by_state(case, action)
    if rule.levels is not None and case.level not in rule.levels:
        raise Conflict(
            f"{action.label}不适用于本层级事件", f"cannot {action.value} a case at {case.level} level",
            code="action_not_allowed_at_level",
        )  # fmt: skip
    if not may_act(actor, rule, case):
        who = ";".join(str(w) for w in rule.who)
        raise Forbidden(
            f"您无权对此事件执行“{action.label}”", f"you may not {action.value} this case (allowed: {who})",
            code="action_forbidden",
        )  # fmt: skip
    return rule


@transaction.atomic
def case_act(*, actor: Any, number: str, action: CaseAction, params: ActParams, now: datetime) -> Case:
    if action in SYSTEM_ACTIONS:
        raise InvalidInput(f"{action.value} 由系统记录", f"{action.value} is written by the system only")
    user_units_light(actor)
    # One read: the row locked, then the scope decided on it (404 for a case the user may not see).
    case = case_lock_for(actor, number)
    before_values = _values(case)
    if params.expected_version is not None and params.expected_version != case.version:
        raise Conflict(
            "事件已被他人更新,请刷新后重试",
            f"the case changed meanwhile (version {case.version}, you saw {params.expected_version})",
            code="stale_version",
        )
    rule = _check_rule(case, actor, action, params)
    before = S(case.status)
    facts = EFFECTS[action](case, actor, params, now)
    if rule.target is Target.SAME:
        after = before
    elif rule.target is Target.PREVIOUS:
        after, case.suspended_from = S(case.suspended_from), ""
    else:
        after = S(rule.target)
    case.status = after
    case.version += 1
    case.updated_at = now
    old_colour, new_colour = clocks_recompute(case, now=now)
    _record_new_deadlines(case, facts)
    if old_colour != new_colour:
        facts["colour"] = [old_colour, new_colour]
    _save_changed(case, before_values)
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=before,
        to_status=after,
        actor=actor,
        note=params.note or params.reason,
        data=facts,
        at=now,
    )
    attachments_claim(actor=actor, ids=params.attachment_ids, case=case, event=event)
    colour_notices(case=case, old=old_colour, new=new_colour, now=now)
    return case


@transaction.atomic
def case_clock_tick(*, number: str, now: datetime) -> Case | None:
    """For the deadline worker: recompute one case's colour; a change writes a RECOLOUR event
    and its sheet. Returns the case when its colour changed."""
    case = Case.objects.select_for_update().filter(number=number, is_open=True).first()
    if case is None or case.status == S.SUSPENDED:
        return None
    before = _values(case)
    old, new = clocks_recompute(case, now=now)
    if old == new:
        return None
    case.version += 1
    case.updated_at = now
    _save_changed(case, before)
    CaseEvent.objects.create(
        case=case, action=A.RECOLOUR, from_status=case.status, to_status=case.status,
        data={"colour": [old, new]}, at=now,
    )  # fmt: skip
    colour_notices(case=case, old=old, new=new, now=now)
    return case


AUTO_ESCALATE_REASON = "超期未办结,按时限策略自动上报"


def case_escalate_overdue(*, number: str, now: datetime) -> Case | None:
    """上报 by the system: the same act as `case_escalate`, with no person behind it (actor is
    empty, the event says `auto`), so `case_act`'s permission check does not apply. None when
    the case's state or level allows no escalation. It uses the act's own effect, `_escalate`,
    so the two cannot drift apart. Call it inside a transaction: it locks the case."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("owner_center__region")
        .defer("owner_center__region__boundary")
        .filter(number=number, is_open=True)
        .first()
    )
    if case is None:
        return None
    rule = rule_for(CaseStatus(case.status), CaseAction.ESCALATE, None)
    if rule is None or (rule.levels is not None and case.level not in rule.levels):
        return None
    before_values = _values(case)
    before = CaseStatus(case.status)
    facts = _escalate(case, None, ActParams(reason=AUTO_ESCALATE_REASON), now)
    facts["auto"] = True
    after = rule.target if isinstance(rule.target, CaseStatus) else before  # SAME (never PREVIOUS)
    case.status = after
    case.version += 1
    case.updated_at = now
    clocks_recompute(case, now=now)
    _record_new_deadlines(case, facts)
    _save_changed(case, before_values)
    CaseEvent.objects.create(
        case=case, action=CaseAction.ESCALATE, from_status=before, to_status=after, actor=None,
        note=AUTO_ESCALATE_REASON, data=facts, at=now,
    )  # fmt: skip
    return case
