"""How the portal shows a case to the citizen who reported it: number, category, status and the
public timeline; never a staff name, an internal note, or the reporter's own data in clear."""

from __future__ import annotations

from typing import Any

from gridgov.cases.enums import CaseStatus
from gridgov.cases.models import Case
from gridgov.core.pii import mask_phone
from gridgov.portal.selectors import public_status, public_timeline


def tracked_out(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category.name,
        "title": case.title,
        "status": public_status(case),
        "closed": case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED),
        "can_rate": case.status == CaseStatus.CLOSED,
        "rating": case.get_rating_display() if case.rating else "",
        "created_at": case.created_at,
        "phone": mask_phone(case.reporter_phone),
        "timeline": [{"at": s.at, "label": s.label, "text": s.text} for s in public_timeline(case)],
    }
