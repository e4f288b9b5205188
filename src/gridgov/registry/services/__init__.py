"""The only writers of the registers. Each function is one transaction, keyword-only and typed,
checks the actor's area (permissions.py) and leaves a ChangeRecord (history_record)."""

from __future__ import annotations

from gridgov.registry.services.hazards import hazard_act, hazard_create
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.services.keypersons import (
    key_person_assign,
    key_person_change,
    key_person_create,
    visit_frequency_set,
    visit_record,
)
from gridgov.registry.services.people import care_membership_set, resident_save
from gridgov.registry.services.places import address_resolve, house_save
from gridgov.registry.services.things import (
    facility_save,
    key_place_inspect,
    key_place_save,
    organization_save,
    poi_save,
)
from gridgov.registry.services.unmask import personal_data_unmask

__all__ = [
    "address_resolve",
    "care_membership_set",
    "facility_save",
    "hazard_act",
    "hazard_create",
    "history_record",
    "house_save",
    "key_person_assign",
    "key_person_change",
    "key_person_create",
    "key_place_inspect",
    "key_place_save",
    "organization_save",
    "personal_data_unmask",
    "poi_save",
    "resident_save",
    "snapshot",
    "visit_frequency_set",
    "visit_record",
]
