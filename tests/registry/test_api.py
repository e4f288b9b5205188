"""The registry API: masked by default, unmasking with permission + reason + audit row, scoped
search by name, phone and exact ID number, clear 4xx on bad input."""

from __future__ import annotations

import datetime as dt

from gridgov.core import clock
from gridgov.core.models import AuditAction, AuditLog
from gridgov.registry.models import Resident
from tests.registry.conftest import Api, id_number, make_resident, ok


def test_an_unprivileged_user_sees_id_numbers_and_phones_masked(personas, world):
    resident = make_resident(personas.grid_worker, world, phone="13812345678")
    body = ok(Api(personas.grid_worker).get(f"/residents/{resident.pk}"))
    assert body["id_number"] == resident.id_number[:4] + "**********" + resident.id_number[-4:]
    assert body["phone"] == "138****5678"
    assert body["masked"] is True
    listed = ok(Api(personas.grid_worker).get("/residents"))
    assert resident.id_number not in str(listed) and "13812345678" not in str(listed)


def test_unmasking_without_the_permission_is_refused_and_writes_nothing(personas, world):
    resident = make_resident(personas.grid_worker, world)
    response = Api(personas.grid_worker).post(f"/residents/{resident.pk}/unmask", {"reason": "核实身份信息"})
    assert response.status_code == 403
    assert " / " in response.json()["message"]
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()


def test_unmasking_without_a_reason_is_refused_even_for_a_leader(personas, world):
    resident = make_resident(personas.grid_worker, world)
    response = Api(personas.county_leader).post(f"/residents/{resident.pk}/unmask", {"reason": "  "})
    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()


def test_a_leader_unmasks_with_a_reason_and_the_read_is_audited(personas, world):
    resident = make_resident(personas.grid_worker, world, phone="13812345678")
    body = ok(
        Api(personas.county_leader).post(f"/residents/{resident.pk}/unmask", {"reason": "走访核实户籍信息"})
    )
    assert body["id_number"] == resident.id_number and body["phone"] == "13812345678"
    assert body["masked"] is False
    row = AuditLog.objects.get(action=AuditAction.UNMASK)
    assert row.actor == personas.county_leader
    assert (row.object_type, row.object_id) == ("registry.resident", str(resident.pk))
    assert row.detail == {"reason": "走访核实户籍信息", "fields": ["id_number", "phone"]}


def test_an_explicit_permission_lets_a_police_officer_unmask(police, personas, world):
    from django.contrib.auth.models import Permission

    resident = make_resident(personas.grid_worker, world)
    assert Api(police).post(f"/residents/{resident.pk}/unmask", {"reason": "核查人员身份"}).status_code == 403
    police.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    police = type(police).objects.get(pk=police.pk)  # a fresh permission cache
    assert ok(Api(police).post(f"/residents/{resident.pk}/unmask", {"reason": "核查人员身份"}))["id_number"]


def test_another_countys_leader_cannot_even_see_the_resident(personas, world):
    resident = make_resident(personas.grid_worker, world)
    api = Api(personas.other_county_leader)
    assert api.get(f"/residents/{resident.pk}").status_code == 404
    assert api.post(f"/residents/{resident.pk}/unmask", {"reason": "核实身份信息"}).status_code == 404


def test_search_finds_by_exact_id_number_phone_name_and_address_within_scope_only(personas, world):
    near = make_resident(personas.grid_worker, world, name="陈小明", phone="13700001111")
    far = make_resident(None, world, grid=world.far_grid, name="陈小明", phone="13700001111")
    mine = Api(personas.grid_worker)
    assert [r["id"] for r in ok(mine.get("/search", q=near.id_number))["results"]] == [near.pk]
    assert ok(mine.get("/search", q=near.id_number))["read_as"] == "id_number"
    assert [r["id"] for r in ok(mine.get("/search", q="137-0000-1111"))["results"]] == [near.pk]
    assert [r["id"] for r in ok(mine.get("/search", q="陈小"))["results"]] == [near.pk]
    city = Api(personas.city_dispatcher)
    assert {r["id"] for r in ok(city.get("/search", q="陈小明"))["results"]} == {near.pk, far.pk}
    assert ok(Api(personas.outsider).get("/search", q="陈小明"))["count"] == 0
    # Part of an ID number finds nothing: the index holds whole values only.
    assert ok(mine.get("/search", q=near.id_number[:10]))["count"] == 0


def test_search_pages_through_results(personas, world):
    for i in range(5):
        make_resident(personas.grid_worker, world, name=f"分页{i}", phone="")
    body = ok(Api(personas.grid_worker).get("/search", q="分页", limit=2, offset=2))
    assert body["count"] == 5 and [r["name"] for r in body["results"]] == ["分页2", "分页3"]


def test_creating_a_resident_with_a_bad_id_number_is_a_422_that_changes_nothing(personas, world):
    response = Api(personas.grid_worker).post(
        "/residents",
        {"name": "孙七", "id_number": "620102199003071233", "community_code": world.grid.community.code,
         "grid_id": world.grid.pk},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == "id_number_checksum"
    assert response.json()["message"].startswith("身份证号码校验位错误")
    assert not Resident.objects.exists()


def test_creating_a_resident_through_the_api_derives_gender_and_birth_date(personas, world):
    number = id_number(born="19851120", male=False)
    body = ok(
        Api(personas.grid_worker).post(
            "/residents",
            {"name": "周八", "id_number": number, "phone": "+86 138 0000 2222", "kind": "migrant",
             "community_code": world.grid.community.code, "grid_id": world.grid.pk},
        ),
        201,
    )  # fmt: skip
    assert (body["gender"], body["birth_date"], body["kind"]) == ("female", "1985-11-20", "migrant")
    assert body["phone"] == "138****2222"
    history = ok(Api(personas.grid_worker).get(f"/residents/{body['id']}"))["history"]
    assert history[0]["action"] == "create" and number not in str(history)


def test_a_visit_sent_twice_through_the_api_is_one_visit(personas, world):
    from tests.registry.conftest import make_key_person

    person = make_key_person(personas.grid_worker, make_resident(personas.grid_worker, world))
    api = Api(personas.grid_worker)
    at = (clock.now() - dt.timedelta(hours=1)).isoformat()
    form = {"key_person_id": person.pk, "client_key": "offline-0001-abcdef", "visited_at": at,
            "findings": "在家,情绪稳定", "lon": "103.83", "lat": "36.06", "place": "家中"}  # fmt: skip
    first = api.client.post("/api/v1/registry/visits", form)
    again = api.client.post("/api/v1/registry/visits", form)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False


def test_a_visit_sent_with_a_photo_through_the_api_keeps_the_photo(personas, world):
    # django-ninja reads `File[UploadedFile] | None` as no file at all: the photo was dropped.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.registry.models import Visit
    from tests.field.test_api import PNG
    from tests.registry.conftest import make_key_person

    person = make_key_person(personas.grid_worker, make_resident(personas.grid_worker, world))
    at = (clock.now() - dt.timedelta(hours=1)).isoformat()
    photo = SimpleUploadedFile("door.png", PNG, content_type="image/png")
    form = {"key_person_id": person.pk, "client_key": "offline-0002-photo", "visited_at": at,
            "findings": "在家", "photo": photo}  # fmt: skip
    created = Api(personas.grid_worker).client.post("/api/v1/registry/visits", form)
    assert created.status_code == 201, created.content
    visit = Visit.objects.get(pk=created.json()["id"])
    assert visit.photo and visit.photo.read() == PNG
