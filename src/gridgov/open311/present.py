"""GeoReport v2 shapes of our objects. Absent values are left out rather than sent as null:
the published Swagger file types every field as a plain string or number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.open311.models import ServiceAttribute
from gridgov.open311.selectors import CLOSED
from gridgov.portal.scrub import scrub
from gridgov.portal.selectors import public_status, public_step


def stamp(at: datetime | None) -> str | None:
    """W3C date-time with the city's offset, e.g. 2026-03-02T09:00:00+08:00."""
    return timezone.localtime(at).isoformat(timespec="seconds") if at else None


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != ""}


def service_out(category: Category) -> dict[str, Any]:
    return _compact(
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": f"{category.parent.name} · {category.name}" if category.parent else category.name,
            "metadata": bool(getattr(category, "attribute_count", 0)),
            "type": "realtime",
            "keywords": category.name,
            "group": category.parent.name if category.parent else None,
        }
    )


def attribute_out(attr: ServiceAttribute) -> dict[str, Any]:
    out = _compact(
        {
            "variable": attr.variable,
            "code": attr.code,
            "datatype": attr.datatype,
            "required": attr.required,
            "datatype_description": attr.datatype_description,
            "order": attr.order,
            "description": attr.description,
        }
    )
    out["values"] = [
        {"key": str(v.get("key", "")), "name": str(v.get("name", ""))} for v in attr.values or []
    ]
    return out


def definition_out(category: Category, attributes: list[ServiceAttribute]) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": [attribute_out(a) for a in attributes]}


def open_or_closed(status: str) -> str:
    return "closed" if status in CLOSED else "open"


def request_out(case: Case) -> dict[str, Any]:
    closed = case.status in CLOSED
    notes = scrub(case.result) if closed and case.result else public_status(case)
    return _compact(
        {
            "service_request_id": case.number,
            "status": open_or_closed(case.status),
            "status_notes": notes,
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": scrub(case.description)[:4000],
            "agency_responsible": case.owner.name,
            "requested_datetime": stamp(case.created_at),
            "updated_datetime": stamp(case.closed_at if closed and case.closed_at else case.updated_at),
            "expected_datetime": stamp(case.finish_due_at) if case.status not in CLOSED else None,
            "address": scrub(case.address),
            "lat": case.lat,
            "long": case.lon,
        }
    )


def posted_out(case: Case) -> dict[str, Any]:
    notice = "已受理,请凭编号查询办理进度" if case.status != CaseStatus.REJECTED else ""
    return _compact({"service_request_id": case.number, "service_notice": notice})


def update_out(event: CaseEvent) -> dict[str, Any] | None:
    step = public_step(event)
    if step is None:
        return None
    return _compact(
        {
            "update_id": str(event.pk),
            "service_request_id": event.case.number,
            "status": open_or_closed(event.to_status),
            "updated_datetime": stamp(event.at),
            "description": f"{step.label}:{step.text}" if step.text else step.label,
        }
    )
