"""The registers' URL names, shared by the API and the pages."""

from __future__ import annotations

from gridgov.core.errors import NotFound
from gridgov.registry.enums import Register

SLUGS: dict[Register, str] = {
    Register.ADDRESS: "addresses",
    Register.HOUSE: "houses",
    Register.RESIDENT: "residents",
    Register.ORGANIZATION: "organizations",
    Register.FACILITY: "facilities",
    Register.POI: "pois",
    Register.KEY_PLACE: "key-places",
    Register.HAZARD: "hazards",
    Register.KEY_PERSON: "key-persons",
    Register.VISIT: "visits",
}
BY_SLUG = {slug: register for register, slug in SLUGS.items()}
# Registers that hold personal fields, and so have an unmask path.
PERSONAL = frozenset({Register.RESIDENT, Register.ORGANIZATION})


def register_of(slug: str) -> Register:
    found = BY_SLUG.get(slug)
    if found is None:
        raise NotFound(f"没有名为 {slug} 的台账", f"no register named {slug}", registers=sorted(BY_SLUG))
    return found
