"""The registers' pages through Django's client: masked by default, unmask with reason and
permission, lists with filters and export, the audit page for auditors only."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from gridgov.core.models import AuditAction, AuditLog
from gridgov.registry.models import Resident
from tests.registry.conftest import make_key_person, make_resident


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def resident(personas, world):
    return make_resident(personas.grid_worker, world, name="钱九", phone="13812345678")


def test_a_grid_worker_sees_the_resident_page_masked_and_no_unmask_form(personas, resident):
    html = logged_in(personas.grid_worker).get(f"/registry/residents/{resident.pk}/").content.decode()
    assert resident.id_number not in html and "13812345678" not in html
    assert resident.id_number[:4] + "**********" + resident.id_number[-4:] in html
    assert 'id="unmask-form"' not in html


def test_a_grid_worker_that_posts_an_unmask_anyway_is_refused(personas, resident):
    response = logged_in(personas.grid_worker).post(
        f"/registry/residents/{resident.pk}/", {"reason": "想看一下"}
    )
    assert response.status_code == 403
    assert resident.id_number not in response.content.decode()
    assert not AuditLog.objects.filter(action=AuditAction.UNMASK).exists()


def test_a_leader_must_state_a_reason_and_then_sees_the_full_values_audited(personas, resident):
    client = logged_in(personas.county_leader)
    refused = client.post(f"/registry/residents/{resident.pk}/", {"reason": ""}).content.decode()
    assert "须说明理由" in refused and resident.id_number not in refused
    shown = client.post(
        f"/registry/residents/{resident.pk}/", {"reason": "核实低保申请人身份"}
    ).content.decode()
    assert resident.id_number in shown and "13812345678" in shown
    row = AuditLog.objects.get(action=AuditAction.UNMASK)
    assert row.detail["reason"] == "核实低保申请人身份" and row.object_id == str(resident.pk)


def test_the_resident_list_filters_pages_and_exports_masked(personas, world, resident):
    make_resident(personas.grid_worker, world, name="孙十", kind="migrant", phone="")
    client = logged_in(personas.grid_worker)
    html = client.get("/registry/residents/", {"kind": "migrant"}).content.decode()
    assert "孙十" in html and "钱九" not in html
    empty = client.get("/registry/residents/", {"q": "不存在的人"}).content.decode()
    assert "没有符合条件的记录" in empty
    export = client.get("/registry/residents/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert "钱九" in cells and resident.id_number not in cells and "13812345678" not in cells


def test_a_resident_registered_through_the_form_reports_a_bad_id_number_in_chinese(personas, world):
    client = logged_in(personas.grid_worker)
    response = client.post(
        "/registry/residents/new/",
        {"name": "李雷", "id_type": "id_card", "id_number": "620102199003071233", "kind": "registered",
         "relation": "head", "grid_id": world.grid.pk},
    )  # fmt: skip
    assert response.status_code == 200
    assert "身份证号码校验位错误" in response.content.decode()
    assert not Resident.objects.exists()
    ok = client.post(
        "/registry/residents/new/",
        {"name": "李雷", "id_type": "id_card", "id_number": "11010519491231002X", "kind": "registered",
         "relation": "head", "grid_id": world.grid.pk},
    )  # fmt: skip
    assert ok.status_code == 302 and Resident.objects.get().name == "李雷"


def test_the_resident_page_shows_its_history(personas, world, resident):
    html = logged_in(personas.grid_worker).get(f"/registry/residents/{resident.pk}/").content.decode()
    assert 'id="history"' in html and "新增" in html


def test_the_visits_page_lists_a_workers_overdue_key_persons(personas, world, resident):
    import datetime as dt

    from gridgov.core import clock

    make_key_person(
        personas.grid_worker, resident, worker=personas.grid_worker,
        since=clock.now().date() - dt.timedelta(days=60),
    )  # fmt: skip
    html = logged_in(personas.grid_worker).get("/registry/visits/due/").content.decode()
    assert 'id="overdue"' in html and "钱九" in html
    rollup = logged_in(personas.county_leader).get("/registry/visits/due/").content.decode()
    assert 'id="rollup"' in rollup


def test_the_grid_profile_is_scoped(personas, world, resident):
    assert logged_in(personas.grid_worker).get(f"/registry/grid/{world.grid.code}/").status_code == 200
    assert logged_in(personas.grid_worker).get(f"/registry/grid/{world.other_grid.code}/").status_code == 404


def test_the_audit_page_is_for_auditors_only_and_filters_and_exports(personas, resident):
    logged_in(personas.county_leader).post(
        f"/registry/residents/{resident.pk}/", {"reason": "核实低保申请人身份"}
    )
    assert logged_in(personas.county_leader).get("/audit/").status_code == 403
    admin = logged_in(personas.admin)
    html = admin.get(
        "/audit/", {"action": "unmask", "object": f"registry.resident:{resident.pk}"}
    ).content.decode()
    assert "核实低保申请人身份" in html and "cl" in html
    assert "没有符合条件" in admin.get("/audit/", {"user": "no-such-user-xyz"}).content.decode()
    assert (
        "结束日期早于开始日期"
        in admin.get("/audit/", {"from": "2026-03-02", "to": "2026-03-01"}).content.decode()
    )
    export = admin.get("/audit/", {"action": "unmask", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert any("核实低保申请人身份" in str(c.value) for row in sheet.iter_rows() for c in row)


def test_an_auditor_with_the_explicit_permission_reads_the_audit_page(personas):
    from django.contrib.auth.models import Permission

    auditor = personas.city_dispatcher
    auditor.user_permissions.add(Permission.objects.get(codename="view_audit_log"))
    assert logged_in(auditor).get("/audit/").status_code == 200


def test_every_register_page_renders_for_an_admin_with_its_empty_state(personas):
    from gridgov.registry.registers import SLUGS

    client = logged_in(personas.admin)
    assert client.get("/registry/").status_code == 200
    for slug in SLUGS.values():
        response = client.get(f"/registry/{slug}/")
        assert response.status_code == 200, slug
        assert "暂无" in response.content.decode()
    for path in ("/registry/search/", "/registry/frequencies/", "/registry/visits/due/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/registry/no-such-register/").status_code == 404


def test_a_grid_worker_puts_a_resident_in_a_care_group_and_the_change_is_kept(personas, resident):
    from gridgov.registry.models import CareMembership, ChangeRecord

    client = logged_in(personas.grid_worker)
    response = client.post(
        f"/registry/residents/{resident.pk}/care/", {"category": "empty_nest_elderly", "active": "1"}
    )
    assert response.status_code == 302
    member = CareMembership.objects.get(resident=resident)
    assert member.category.name == "空巢老人" and member.active
    assert "空巢老人" in client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert ChangeRecord.objects.filter(register="care", object_id=str(member.pk)).exists()


def test_editing_a_resident_without_retyping_the_id_number_keeps_it(personas, world, resident):
    client = logged_in(personas.grid_worker)
    form = client.get(f"/registry/residents/{resident.pk}/edit/").content.decode()
    assert resident.id_number not in form and "13812345678" not in form
    response = client.post(
        f"/registry/residents/{resident.pk}/edit/",
        {"name": "钱九九", "id_type": "id_card", "id_number": "", "phone": "", "kind": "migrant",
         "relation": "head", "grid_id": world.grid.pk},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:500]
    resident.refresh_from_db()
    assert (resident.name, resident.kind, resident.phone) == ("钱九九", "migrant", "13812345678")


def test_an_organization_is_edited_through_its_form_with_its_phone_kept_and_its_history(personas, world):
    from gridgov.core import clock
    from gridgov.registry import services
    from gridgov.registry.models import ChangeRecord, Organization

    org = services.organization_save(
        actor=personas.grid_worker, usc_code="91350100M000100Y43", name="宁岭便民超市", kind="shop",
        community_code=world.grid.community.code, grid_id=world.grid.pk, phone="0931-8123456",
        now=clock.now(),
    )  # fmt: skip
    client = logged_in(personas.grid_worker)
    form = client.get(f"/registry/organizations/{org.pk}/edit/").content.decode()
    assert "宁岭便民超市" in form and "8123456" not in form
    bad = client.post(
        f"/registry/organizations/{org.pk}/edit/",
        {"name": "宁岭便民超市", "usc_code": "91350100M000100Y44", "kind": "shop", "grid_id": world.grid.pk},
    )  # fmt: skip
    assert "统一社会信用代码校验位错误" in bad.content.decode()
    ok = client.post(
        f"/registry/organizations/{org.pk}/edit/",
        {"name": "宁岭惠民超市", "usc_code": "91350100M000100Y43", "kind": "shop", "grid_id": world.grid.pk},
    )  # fmt: skip
    assert ok.status_code == 302
    org = Organization.objects.get(pk=org.pk)
    assert (org.name, org.phone) == ("宁岭惠民超市", "09318123456")
    last = ChangeRecord.objects.filter(register="organization", object_id=str(org.pk)).order_by("-id").first()
    assert last.after == {"name": "宁岭惠民超市"}


def test_a_grid_worker_records_an_inspection_of_a_key_place(personas, world):
    from gridgov.core import clock
    from gridgov.registry import services
    from gridgov.registry.models import KeyPlace

    place = services.key_place_save(
        actor=personas.grid_worker, name="宁岭农贸市场", kind="crowded",
        community_code=world.grid.community.code, grid_id=world.grid.pk, now=clock.now(),
    )  # fmt: skip
    client = logged_in(personas.grid_worker)
    assert client.post(f"/registry/key-places/{place.pk}/inspect/").status_code == 302
    assert KeyPlace.objects.get(pk=place.pk).last_inspected_at is not None
    assert "从未" not in client.get(f"/registry/key-places/{place.pk}/").content.decode()


def test_a_hazard_action_the_state_does_not_allow_says_why_and_changes_nothing(personas, world):
    from gridgov.core import clock
    from gridgov.registry import services
    from gridgov.registry.enums import HazardStatus
    from gridgov.registry.models import ChangeRecord, Hazard
    from tests.cases.conftest import inside

    lon, lat = inside(world.grid)
    hazard = services.hazard_create(
        actor=personas.grid_worker, title="楼道堆放杂物", lon=lon, lat=lat, now=clock.now()
    )
    client = logged_in(personas.grid_worker)
    # Rectified before anyone ordered it: the transitions table refuses, the page says so.
    response = client.post(f"/registry/hazards/{hazard.pk}/act/rectify/", {"note": "已清理"}, follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts and "已报告整改" not in texts, texts
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.FOUND
    assert ChangeRecord.objects.filter(register="hazard", object_id=str(hazard.pk)).count() == 1
