"""Registers through the services: history of every change, hazard transitions, addresses
geocoded to their grid."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core import clock
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.registry import services
from gridgov.registry.enums import ChangeAction, HazardAction, HazardStatus, Register
from gridgov.registry.models import ChangeRecord, Resident
from gridgov.registry.states import TRANSITIONS
from tests.registry.conftest import MONDAY, inside, make_resident


def test_every_change_of_a_resident_is_kept_with_personal_fields_masked(personas, world):
    resident = make_resident(personas.grid_worker, world, name="赵六", phone="13912345678")
    services.resident_save(
        actor=personas.grid_worker, resident_id=resident.pk, name="赵六", id_number=resident.id_number,
        phone="13987654321", community_code=world.grid.community.code, grid_id=world.grid.pk, now=clock.now(),
    )  # fmt: skip
    records = list(
        ChangeRecord.objects.filter(register=Register.RESIDENT, object_id=str(resident.pk)).order_by("id")
    )
    assert [r.action for r in records] == [ChangeAction.CREATE, ChangeAction.UPDATE]
    assert records[0].actor == personas.grid_worker
    assert records[0].after["id_number"] == resident.id_number[:4] + "*" * 10 + resident.id_number[-4:]
    assert records[1].before == {"phone": "139****5678"} and records[1].after == {"phone": "139****4321"}
    stored = str(
        ChangeRecord.objects.filter(pk__in=[r.pk for r in records]).values_list("before", "after")[::1]
    )
    assert resident.id_number not in stored and "13987654321" not in stored


def test_the_id_number_is_encrypted_at_rest_and_found_by_its_blind_index(personas, world):
    from django.db import connection

    resident = make_resident(personas.grid_worker, world)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM registry_resident WHERE id = %s", [resident.pk])
        raw_id, raw_phone = cur.fetchone()
    assert raw_id.startswith("gg1:") and resident.id_number not in raw_id
    assert raw_phone.startswith("gg1:")
    field = Resident._meta.get_field("id_number")
    assert Resident.objects.get(id_number_index=field.index_for(resident.id_number.lower())) == resident


def test_the_same_id_number_cannot_be_registered_twice(personas, world):
    resident = make_resident(personas.grid_worker, world)
    with pytest.raises(Conflict):
        make_resident(personas.grid_worker, world, id_number=resident.id_number)
    assert Resident.objects.count() == 1


def test_a_bad_id_number_changes_nothing(personas, world):
    with pytest.raises(InvalidInput):
        make_resident(personas.grid_worker, world, id_number="620102199003071233")
    assert not Resident.objects.exists() and not ChangeRecord.objects.exists()


def test_an_address_with_coordinates_is_geocoded_to_its_grid_and_found_again(personas, world):
    lon, lat = inside(world.grid)
    address = services.address_resolve(
        actor=personas.grid_worker, community_code=world.grid.community.code, road="张掖路", number="12",
        building="3", unit="2", room="301", lon=lon, lat=lat, now=clock.now(),
    )  # fmt: skip
    assert address.grid == world.grid
    assert address.text.endswith("张掖路12号3栋2单元301")
    again = services.address_resolve(
        actor=personas.grid_worker, community_code=world.grid.community.code, road=" 张掖路", number="12号",
        building="3", unit="2", room="301", now=clock.now(),
    )  # fmt: skip
    assert again.pk == address.pk


def test_the_hazard_table_has_one_way_to_close(personas, world):
    assert TRANSITIONS[HazardAction.CHECK_PASS][1] == HazardStatus.CHECKED
    assert all(target != HazardStatus.FOUND for _, target in TRANSITIONS.values())


def test_a_hazard_goes_found_ordered_rectified_checked_and_refuses_a_skip(personas, world):
    with time_machine.travel(MONDAY, tick=False):
        lon, lat = inside(world.grid)
        hazard = services.hazard_create(
            actor=personas.grid_worker, title="楼道堆放杂物", lon=lon, lat=lat, now=clock.now()
        )
        assert hazard.grid == world.grid and hazard.status == HazardStatus.FOUND
        with pytest.raises(Conflict):
            services.hazard_act(
                actor=personas.grid_worker, hazard_id=hazard.pk, action=HazardAction.RECTIFY, note="已清理",
                now=clock.now(),
            )  # fmt: skip
        with pytest.raises(InvalidInput):
            services.hazard_act(
                actor=personas.grid_worker, hazard_id=hazard.pk, action=HazardAction.ORDER, note="限期清理",
                now=clock.now(),
            )  # fmt: skip
        deadline = dt.date(2026, 3, 5)
        steps = [
            (HazardAction.ORDER, "限期清理", deadline, HazardStatus.ORDERED),
            (HazardAction.RECTIFY, "已清理完毕", None, HazardStatus.RECTIFIED),
            (HazardAction.CHECK_FAIL, "仍有杂物", deadline, HazardStatus.ORDERED),
            (HazardAction.RECTIFY, "再次清理", None, HazardStatus.RECTIFIED),
            (HazardAction.CHECK_PASS, "复查合格", None, HazardStatus.CHECKED),
        ]
        for action, note, due, expected in steps:
            hazard = services.hazard_act(
                actor=personas.grid_worker, hazard_id=hazard.pk, action=action, note=note, deadline=due,
                now=clock.now(),
            )  # fmt: skip
            assert hazard.status == expected
        assert hazard.deadline == deadline and hazard.check_note == "复查合格"
        assert ChangeRecord.objects.filter(register=Register.HAZARD, object_id=str(hazard.pk)).count() == 6


def test_a_grid_worker_cannot_register_a_resident_in_a_grid_it_does_not_serve(personas, world):
    from gridgov.core.errors import Forbidden

    with pytest.raises(Forbidden):
        make_resident(personas.grid_worker, world, grid=world.other_grid)


def test_key_rotation_re_encrypts_the_registers_personal_fields_and_search_still_finds_them(personas, world):
    from gridgov.core import crypto
    from gridgov.registry import selectors
    from tests.cases.conftest import ring_for_tests

    resident = make_resident(personas.grid_worker, world, phone="13612345678")
    old = ring_for_tests()
    crypto.keyring_reset(crypto.KeyRing(keys=(b"n" * 32, *old.keys), index_key=old.index_key))
    done = crypto.pii_rotate()
    assert done["registry.resident.id_number"] == 1 and done["registry.resident.phone"] == 1
    assert "registry.organization.phone" in done
    fresh = Resident.objects.get(pk=resident.pk)
    assert fresh.id_number == resident.id_number
    found = selectors.residents_search(personas.grid_worker, selectors.SearchQuery(text=resident.id_number))
    assert list(found) == [fresh]
