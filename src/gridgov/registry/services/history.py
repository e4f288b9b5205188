"""ChangeRecord: the history of every change (who, when, before, after).

Personal values never reach the history in clear: ID numbers and phones are stored masked, and
the blind indexes are left out (an index is as good as the value to whoever holds the key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from gridgov.core.pii import mask_id_number, mask_phone
from gridgov.registry.enums import ChangeAction, Register
from gridgov.registry.models import ChangeRecord

MASKERS = {"id_number": mask_id_number, "phone": mask_phone}
LEFT_OUT = {"id_number_index", "phone_index", "created_at", "updated_at", "key"}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row as the history keeps it: concrete fields, personal ones masked."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in LEFT_OUT or field.primary_key:
            continue
        value = getattr(obj, field.attname)
        masker = MASKERS.get(field.name)
        out[field.name] = masker(value or "") if masker else _plain(value)
    return out


def changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    if before is None:
        return dict(after)
    return {k: v for k, v in after.items() if before.get(k) != v}


def history_record(
    *,
    register: Register,
    object_id: Any,
    actor: Any,
    action: ChangeAction,
    now: dt.datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    batch: str | None = None,
) -> ChangeRecord:
    """Before/after as given must already be masked (use `snapshot`). On an update only the
    fields that changed are kept, on both sides."""
    if action == ChangeAction.UPDATE and before is not None and after is not None:
        keys = [k for k in after if before.get(k) != after.get(k)]
        before = {k: before.get(k) for k in keys}
        after = {k: after[k] for k in keys}
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return ChangeRecord.objects.create(
        register=register,
        object_id=str(object_id) if object_id is not None else "",
        actor=user,
        at=now,
        action=action,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        batch=batch,
    )
