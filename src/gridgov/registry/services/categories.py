"""The shipped key-person and care categories and the default visit-frequency table
(registry/data/key_person_categories.json). The first migration loads them; tests and a flushed
database load them again through here. Rows already present are left as edited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "key_person_categories.json"


def categories_load(models: dict[str, Any] | None = None) -> int:
    """Returns how many rows it added. `models` gives the migration's historical models."""
    if models is None:
        from gridgov.registry.models import CareCategory, KeyPersonCategory, VisitFrequency

        models = {
            "KeyPersonCategory": KeyPersonCategory,
            "VisitFrequency": VisitFrequency,
            "CareCategory": CareCategory,
        }
    data = json.loads(DATA.read_text(encoding="utf-8"))
    added = 0
    for i, row in enumerate(data["categories"]):
        cat, made = models["KeyPersonCategory"].objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "order": i}
        )
        added += made
        for risk, days in row["days"].items():
            _, made = models["VisitFrequency"].objects.get_or_create(
                category=cat, risk_level=risk, defaults={"every_days": days}
            )
            added += made
    for i, row in enumerate(data["care_categories"]):
        _, made = models["CareCategory"].objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "order": i}
        )
        added += made
    return added
