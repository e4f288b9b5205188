"""The admin: configuration with Chinese labels, every change audited, the audit log and the
token digests out of reach, geometry summarised instead of dumped."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import ApiToken, Center, Department, GridStaff, User
from gridgov.core.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas.admin)
    return client


def test_the_admin_lists_the_configuration_in_chinese(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for label in ("指挥中心", "职能部门", "用户", "网格人员", "API 令牌", "审计日志", "行政区划", "网格"):
        assert label in page, label


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/center/",
        "/admin/accounts/department/",
        "/admin/accounts/gridstaff/",
        "/admin/accounts/apitoken/",
        "/admin/core/auditlog/",
        "/admin/geo/region/",
        "/admin/geo/grid/",
        "/admin/accounts/user/add/",
        "/admin/accounts/center/add/",
    ],
)
def test_every_admin_page_opens(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_changing_a_user_in_the_admin_writes_an_audit_row(admin_client, personas):
    user = personas.county_leader
    url = f"/admin/accounts/user/{user.pk}/change/"
    form = {
        "username": user.username,
        "display_name": "新名字",
        "role": user.role,
        "center": user.center_id,
        "department": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "08:00:00",
        "grid_duties-TOTAL_FORMS": "0",
        "grid_duties-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.display_name == "新名字"
    row = AuditLog.objects.get(action=AuditAction.ADMIN_CHANGE)
    assert (
        row.actor == personas.admin and row.object_type == "accounts.user" and row.object_id == str(user.pk)
    )


def test_the_admin_refuses_a_handler_without_a_department(admin_client, personas):
    user = personas.housing_handler
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "role": Role.HANDLER,
            "center": personas.county_leader.center_id,
            "department": "",
            "is_active": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "08:00:00",
            "grid_duties-TOTAL_FORMS": "0",
            "grid_duties-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "部门处置人员必须隶属于一个职能部门" in response.content.decode()
    user.refresh_from_db()
    assert user.center is None
    assert not AuditLog.objects.filter(action=AuditAction.ADMIN_CHANGE).exists()


def test_the_admin_refuses_a_grid_duty_outside_the_users_centre(admin_client, world, personas):
    gw = personas.grid_worker
    duty = GridStaff.objects.get(user=gw)
    response = admin_client.post(
        f"/admin/accounts/user/{gw.pk}/change/",
        {
            "username": gw.username,
            "role": gw.role,
            "center": gw.center_id,
            "department": "",
            "is_active": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "08:00:00",
            "grid_duties-TOTAL_FORMS": "2",
            "grid_duties-INITIAL_FORMS": "1",
            "grid_duties-0-id": duty.pk,
            "grid_duties-0-user": gw.pk,
            "grid_duties-0-grid": world.grid.pk,
            "grid_duties-0-duty": GridDuty.WORKER,
            "grid_duties-1-user": gw.pk,
            "grid_duties-1-grid": world.far_grid.pk,
            "grid_duties-1-duty": GridDuty.WORKER,
        },
    )
    assert response.status_code == 200
    assert f"网格 {world.far_grid.code} 不在" in response.content.decode()
    assert GridStaff.objects.filter(user=gw).count() == 1


def test_deleting_several_objects_at_once_is_audited_for_each(admin_client, world):
    a = Department.objects.create(region=world.county, code="T-A", name="甲局")
    b = Department.objects.create(region=world.county, code="T-B", name="乙局")
    response = admin_client.post(
        "/admin/accounts/department/",
        {"action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Department.objects.filter(code__in=["T-A", "T-B"]).exists()
    rows = AuditLog.objects.filter(action=AuditAction.ADMIN_DELETE)
    assert sorted(rows.values_list("object_id", flat=True)) == sorted([str(a.pk), str(b.pk)])


def test_the_audit_log_is_read_only_even_for_a_superuser(admin_client, personas):
    row = AuditLog.objects.create(at="2024-01-01T00:00:00Z", username="x", action=AuditAction.LOGIN)
    assert admin_client.get("/admin/core/auditlog/add/").status_code == 403
    assert admin_client.get(f"/admin/core/auditlog/{row.pk}/delete/").status_code == 403
    change = admin_client.get(f"/admin/core/auditlog/{row.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    admin_client.post(f"/admin/core/auditlog/{row.pk}/change/", {"username": "tampered"})
    admin_client.post(
        "/admin/core/auditlog/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    row.refresh_from_db()
    assert row.username == "x"


def test_tokens_are_shown_by_prefix_never_by_digest_and_can_be_revoked(admin_client, personas):
    out = StringIO()
    call_command("accounts", "token", "hh", stdout=out)
    token = ApiToken.objects.get(user=personas.housing_handler)
    listing = admin_client.get("/admin/accounts/apitoken/").content.decode()
    detail = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, detail):
        assert token.digest not in page and out.getvalue().strip() not in page
        assert f"ggv_{token.prefix}" in page
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403
    response = admin_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action=AuditAction.ADMIN_CHANGE, object_id=str(token.pk)).exists()


def test_the_geo_admin_summarises_geometry_instead_of_dumping_it(admin_client, world):
    listing = admin_client.get("/admin/geo/grid/").content.decode()
    assert "coordinates" not in listing
    page = admin_client.get(f"/admin/geo/region/{world.county.pk}/change/").content.decode()
    assert "面积(km²)" in page and "外接矩形" in page and "个顶点" in page
    assert "coordinates" not in page
    assert admin_client.get("/admin/geo/region/add/").status_code == 403


def test_the_grid_admin_filters_by_county_and_searches_by_code(admin_client, world):
    by_county = admin_client.get(f"/admin/geo/grid/?county={world.other_county.code}").content.decode()
    assert world.far_grid.code in by_county and world.grid.code not in by_county
    found = admin_client.get(f"/admin/geo/grid/?q={world.grid.code}").content.decode()
    assert world.grid.code in found


def test_a_staff_user_without_permissions_cannot_open_the_audit_log(client, world):
    centre = Center.objects.create(region=world.county, name="X")
    staff = User.objects.create(username="staff_only", role=Role.DISPATCHER, center=centre, is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/core/auditlog/").status_code == 403


def test_renaming_a_grid_in_the_admin_moves_the_layer_version_on(admin_client, world):
    from gridgov.geo.models import LayerVersion

    before = LayerVersion.objects.values_list("version", flat=True).first() or 0
    response = admin_client.post(
        f"/admin/geo/grid/{world.grid.pk}/change/",
        {
            "name": "改名后的网格",
            "kind": world.grid.kind,
            "households": world.grid.households,
            "population": world.grid.population,
            "staff-TOTAL_FORMS": "0",
            "staff-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.grid.refresh_from_db()
    assert world.grid.name == "改名后的网格"
    assert LayerVersion.objects.values_list("version", flat=True).get() == before + 1
    assert AuditLog.objects.filter(action=AuditAction.ADMIN_CHANGE, object_type="geo.grid").exists()
