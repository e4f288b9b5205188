"""How a case is shown in API answers: personal data masked unless the caller asked for it
through the audited path (api.py `unmask`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Attachment, Case, CaseEvent, CaseExtension, CasePart, Notice
from gridgov.cases.states import actions_from
from gridgov.core.pii import mask_name, mask_phone


def _unit(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    code = getattr(obj, "code", None) or obj.region.code
    return {"code": code, "name": obj.name}


def reporter_out(case: Case, *, unmask: bool = False) -> dict[str, Any]:
    if unmask:
        return {
            "name": case.reporter_name,
            "phone": case.reporter_phone,
            "anonymous": case.reporter_anonymous,
            "masked": False,
        }
    return {
        "name": mask_name(case.reporter_name),
        "phone": mask_phone(case.reporter_phone),
        "anonymous": case.reporter_anonymous,
        "masked": True,
    }


def case_out(case: Case, *, now: datetime, unmask: bool = False) -> dict[str, Any]:
    status = CaseStatus(case.status)
    return {
        "number": case.number,
        "channel": case.channel,
        "category": {"code": case.category.code, "name": case.category.name},
        "title": case.title,
        "description": case.description,
        "urgency": case.urgency,
        "external_refs": case.external_refs,
        "location": {
            "lon": case.lon,
            "lat": case.lat,
            "address": case.address,
            "grid": {"code": case.grid.code, "name": case.grid.name} if case.grid_id and case.grid else None,
            "region": {"code": case.region.code, "name": case.region.name},
            "territory_code": case.territory_code,
            "outside_city": case.outside_city,
        },
        "reporter": reporter_out(case, unmask=unmask),
        "owner": _unit(case.owner),
        "owner_kind": "department" if case.owner_department_id else "center",
        "owner_center": _unit(case.owner_center),
        "owner_department": _unit(case.owner_department),
        "routed_department": _unit(case.routed_department),
        "level": case.level,
        "status": status.value,
        "status_label": status.label,
        "colour": case.colour,
        "deadlines": {
            "contact": case.contact_due_at,
            "finish": case.finish_due_at,
            "feedback": case.feedback_due_at,
            "next": case.due_at,
            "overdue": bool(case.is_open and case.due_at and case.due_at < now),
        },
        "redo_count": case.redo_count,
        "rating": case.rating,
        "result": case.result,
        "parent": case.parent.number if case.parent_id and case.parent else None,
        "version": case.version,
        "actions": [a.value for a in actions_from(status)],
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def _attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        # api_files.py, mounted at /api/v1/cases/attachments: scoped like the case.
        "url": f"/api/v1/cases/attachments/{a.pk}",
    }


def _event(e: CaseEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "action": e.action,
        "from": e.from_status,
        "to": e.to_status,
        "actor": (e.actor.display_name or e.actor.username) if e.actor else None,
        "note": e.note,
        "data": e.data,
        "at": e.at,
        "attachments": [_attachment(a) for a in e.attachments.all()],
    }


def _part(p: CasePart) -> dict[str, Any]:
    return {
        "id": p.pk,
        "department": _unit(p.department),
        "role": p.role,
        "status": p.status,
        "task": p.task,
        "result": p.result,
        "done_at": p.done_at,
    }


def _notice(n: Notice) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": n.text,
        "to_center": n.to_center_id,
        "to_department": n.to_department_id,
        "issued_at": n.issued_at,
        "respond_by": n.respond_by,
        "response": n.response,
        "responded_at": n.responded_at,
    }


def _extension(x: CaseExtension) -> dict[str, Any]:
    return {
        "id": x.pk,
        "duration": x.duration.short(),
        "reason": x.reason,
        "status": x.status,
        "requested_at": x.requested_at,
        "decided_at": x.decided_at,
    }


def case_detail_out(case: Case, *, now: datetime, unmask: bool = False) -> dict[str, Any]:
    out = case_out(case, now=now, unmask=unmask)
    out["events"] = [_event(e) for e in case.events_list]  # type: ignore[attr-defined]
    out["parts"] = [_part(p) for p in case.parts_list]  # type: ignore[attr-defined]
    out["notices"] = [_notice(n) for n in case.notices_list]  # type: ignore[attr-defined]
    out["extensions"] = [_extension(x) for x in case.extensions_list]  # type: ignore[attr-defined]
    out["attachments"] = [_attachment(a) for a in case.attachments.all()]
    return out
