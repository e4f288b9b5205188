"""A photo saved inside a write that rolls back is removed from storage (core.files.kept_with):
otherwise the file stays with no row naming it."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from gridgov.core import clock
from gridgov.core.files import kept_with
from gridgov.field.models import HouseholdVisit
from tests.field.test_api import PNG


def _visit(personas, world, key: str) -> HouseholdVisit:
    grid = world.grid
    return HouseholdVisit(
        client_key=key, worker=personas.grid_worker, grid=grid, community_id=grid.community_id,
        household="3栋2单元501", visited_at=clock.now(), notes="在家", created_at=clock.now(),
    )  # fmt: skip


def _files(settings) -> list[str]:
    return sorted(p.name for p in (settings.MEDIA_ROOT / "field").rglob("*") if p.is_file())


def test_the_photo_of_a_write_that_lost_a_race_on_its_key_is_removed(personas, world, settings):
    with kept_with() as store, transaction.atomic():
        first = _visit(personas, world, "house-race-0001")
        store(first.photo, ContentFile(PNG, name="first.png"))
        first.save()
    # The second copy of the same visit (a retry that raced past the service's first look)
    # fails on the unique key after its photo went to storage.
    with pytest.raises(IntegrityError), kept_with() as store, transaction.atomic():
        twin = _visit(personas, world, "house-race-0001")
        store(twin.photo, ContentFile(PNG, name="twin.png"))
        twin.save()
    assert _files(settings) == [first.photo.name.rsplit("/", 1)[-1]]
    assert HouseholdVisit.objects.get().photo.read() == PNG
