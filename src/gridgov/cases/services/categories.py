"""The shipped taxonomy (cases/data/categories.json): loaded by a data migration and by
`gridgov cases load-categories`. Loading adds what is missing and renames what changed name;
it never deletes or re-parents, so an administrator's edits and retired codes survive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


@dataclass(frozen=True)
class Loaded:
    created: int
    updated: int


def categories_load(*, model: Any = None, path: Path = DATA) -> Loaded:
    if model is None:
        from gridgov.cases.models import Category

        model = Category
    tree = json.loads(path.read_text(encoding="utf-8"))
    created = updated = 0
    with transaction.atomic():
        for top in tree:
            parent, made = model.objects.get_or_create(code=top["code"], defaults={"name": top["name"]})
            created += made
            for child in top.get("children", []):
                row, made = model.objects.get_or_create(
                    code=child["code"], defaults={"name": child["name"], "parent": parent}
                )
                created += made
                if not made and row.name != child["name"]:
                    row.name = child["name"]
                    row.save(update_fields=["name"])
                    updated += 1
    return Loaded(created, updated)
