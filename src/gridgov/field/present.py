"""Field rows as the API and pages show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Case
from gridgov.field.models import HouseholdVisit, Patrol, PatrolPlan
from gridgov.field.selectors import Compliance, Log, plan_state


def _local(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def case_task_out(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "title": case.title,
        "category": case.category.name,
        "status": case.status,
        "status_label": CaseStatus(case.status).label,
        "address": case.address,
        "grid": case.grid.code if case.grid_id and case.grid else None,
        "lon": case.lon,
        "lat": case.lat,
        "colour": case.colour,
        "version": case.version,
    }


def key_person_task_out(person: Any) -> dict[str, Any]:
    return {
        "id": person.pk,
        "name": person.resident.name,
        "category": person.category.name,
        "risk_level": person.risk_level,
        "risk_label": person.get_risk_level_display(),
        "status": person.status,
        "next_visit_due": person.next_visit_due.isoformat() if person.next_visit_due else None,
        "grid": person.grid.code if person.grid_id and person.grid else None,
    }


def patrol_out(patrol: Patrol) -> dict[str, Any]:
    return {
        "client_key": patrol.client_key,
        "grid": patrol.grid.code,
        "grid_name": patrol.grid.name,
        "joint": patrol.joint,
        "police": (patrol.police.display_name or patrol.police.username)
        if patrol.police_id and patrol.police
        else None,
        "status": patrol.status,
        "status_label": patrol.get_status_display(),
        "started_at": _local(patrol.started_at),
        "ended_at": _local(patrol.ended_at),
        "duration_s": patrol.duration_s,
        "distance_m": round(patrol.distance_m, 1),
        "point_count": patrol.point_count,
        "note": patrol.note,
    }


def household_visit_out(visit: HouseholdVisit) -> dict[str, Any]:
    return {
        "client_key": visit.client_key,
        "grid": visit.grid.code,
        "household": visit.household,
        "visited_at": _local(visit.visited_at),
        "lon": visit.lon,
        "lat": visit.lat,
        "notes": visit.notes,
        "photo": visit.photo.url if visit.photo else "",
    }


def compliance_out(c: Compliance) -> dict[str, Any]:
    return {
        "day": c.day.isoformat(),
        "required": c.rule.per_day,
        "min_minutes": c.rule.min_minutes,
        "joint": c.joint,
        "qualifying": c.qualifying,
        "compliant": c.compliant,
    }


def log_out(log: Log) -> dict[str, Any]:
    return {
        "from": _local(log.start),
        "to": _local(log.end),
        "counts": log.counts(),
        "cases_reported": log.reported,
        "cases_verified": log.verified,
        "cases_checked": log.checked,
    }


def _name(user: Any) -> str | None:
    return (user.display_name or user.username) if user is not None else None


def plan_out(plan: PatrolPlan, *, now: dt.datetime) -> dict[str, Any]:
    state = plan_state(plan, now=now)
    return {
        "id": plan.pk,
        "grid": plan.grid.code,
        "grid_name": plan.grid.name,
        "day": plan.day.isoformat(),
        "window_start": _local(plan.window_start),
        "window_end": _local(plan.window_end),
        "joint": plan.joint,
        "police_id": plan.police_id,
        "police": _name(plan.police) if plan.police_id else None,
        "worker": plan.worker.username,
        "worker_name": _name(plan.worker),
        "state": state.value,
        "state_label": state.label,
        "patrol": plan.patrol.client_key if plan.patrol_id and plan.patrol else None,
    }
