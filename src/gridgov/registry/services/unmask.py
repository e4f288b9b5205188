"""Reading personal data in clear: the permission, a stated reason, and an audit row, always
together. The caller has already found the row through a scoped selector."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from gridgov.core.audit import audit_record
from gridgov.core.errors import Forbidden, InvalidInput
from gridgov.core.models import AuditAction
from gridgov.registry.permissions import may_unmask

PERSONAL_FIELDS = ("id_number", "phone")
MIN_REASON = 4


@transaction.atomic
def personal_data_unmask(
    *, actor: Any, obj: models.Model, reason: str, request: HttpRequest | None = None
) -> dict[str, str]:
    """The clear values of the row's personal fields, after writing who read them and why."""
    if not may_unmask(actor):
        raise Forbidden(
            "您无权查看完整个人信息", "you may not read personal data unmasked", code="unmask_forbidden"
        )
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            f"查看完整个人信息须说明理由(至少 {MIN_REASON} 个字)",
            f"give a reason (at least {MIN_REASON} characters) to read personal data unmasked",
            code="reason_required",
        )
    fields = [f for f in PERSONAL_FIELDS if any(x.name == f for x in obj._meta.concrete_fields)]
    audit_record(
        action=AuditAction.UNMASK,
        actor=actor,
        request=request,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail={"reason": reason[:500], "fields": fields},
    )
    return {f: getattr(obj, f) or "" for f in fields}
