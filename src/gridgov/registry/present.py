"""Register rows as the API and pages show them: personal fields masked unless the caller went
through the audited unmask path (services/unmask.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from gridgov.core.pii import mask_id_number, mask_phone
from gridgov.registry.models import ChangeRecord

MASKERS = {"id_number": mask_id_number, "phone": mask_phone}
HIDDEN = {"id_number_index", "phone_index", "key"}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.url if value.name else ""
    return value


def row_out(obj: models.Model, *, clear: dict[str, str] | None = None) -> dict[str, Any]:
    """Every concrete field; foreign keys as their id plus a label; masked personal fields
    unless `clear` carries their unmasked values."""
    out: dict[str, Any] = {"id": obj.pk}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in HIDDEN:
            continue
        if field.is_relation:
            out[f"{field.name}_id"] = getattr(obj, field.attname)
            continue
        value = getattr(obj, field.attname)
        masker = MASKERS.get(field.name)
        if masker is not None:
            out[field.name] = clear[field.name] if clear and field.name in clear else masker(value or "")
        else:
            out[field.name] = _plain(value)
        if getattr(field, "choices", None) and value:
            out[f"{field.name}_label"] = getattr(obj, f"get_{field.name}_display")()
    out["masked"] = not clear
    for rel in ("community", "grid"):
        if hasattr(obj, f"{rel}_id") and getattr(obj, f"{rel}_id"):
            out[f"{rel}_code"] = getattr(obj, rel).code
    return out


def change_out(record: ChangeRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "register": record.register,
        "object_id": record.object_id,
        "actor": str(record.actor) if record.actor else "",
        "at": record.at.isoformat(),
        "action": record.action,
        "action_label": record.get_action_display(),
        "before": record.before,
        "after": record.after,
        "batch": record.batch,
    }
