"""The case pages through Django's test client: each page reads only the user's scope, the
filters narrow the list, the exports hold the rows shown, and the actions offered are the ones
the service allows."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from gridgov.cases.available import acts_available
from gridgov.cases.enums import CaseAction, CaseStatus
from gridgov.cases.models import Case
from gridgov.cases.selectors import case_get_for
from gridgov.sla.enums import Colour
from tests.cases_pages.conftest import TO_REGISTERED, act, make_case

A = CaseAction


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(ws.iter_rows(values_only=True))


@pytest.fixture
def cases(seat, world, personas):
    mine = make_case(seat, world.grid, title="楼道墙体开裂")
    ready = make_case(
        seat,
        world.grid,
        title="路灯不亮",
        phone="13900001111",
        category="0301",
        description="路口路灯不亮",
        until=TO_REGISTERED,
    )
    far = make_case(personas.city_dispatcher, world.far_grid, title="外县的井盖缺失", phone="13812345678")
    return type("Cases", (), {"mine": mine, "ready": ready, "far": far})


def test_the_queue_shows_the_county_its_own_cases_only_with_counts_per_tab(client, personas, cases):
    client.force_login(personas.county_leader)
    page = html(client.get(reverse("cases:queue"), {"tab": "all"}))
    assert cases.mine.number in page and cases.ready.number in page
    assert cases.far.number not in page
    assert 'data-tab="received"' in page
    received = html(client.get(reverse("cases:queue"), {"tab": "received"}))
    assert cases.mine.number in received and cases.ready.number not in received
    # 待受理 1, 待核实/立案/派遣 1, 全部 2
    assert '<span class="count">1</span>' in received and '<span class="count">2</span>' in received
    client.force_login(personas.other_county_leader)
    page = html(client.get(reverse("cases:queue"), {"tab": "all"}))
    assert cases.mine.number not in page and cases.far.number in page


def test_the_queue_filters_by_phone_text_category_and_says_what_it_ignored(client, personas, cases):
    client.force_login(personas.county_leader)
    by_phone = html(client.get(reverse("cases:queue"), {"phone": "139 0000 1111"}))
    assert cases.ready.number in by_phone and cases.mine.number not in by_phone
    by_text = html(client.get(reverse("cases:queue"), {"text": "墙体"}))
    assert cases.mine.number in by_text and cases.ready.number not in by_text
    by_category = html(client.get(reverse("cases:queue"), {"category": "03"}))
    assert cases.ready.number in by_category and cases.mine.number not in by_category
    bad = html(client.get(reverse("cases:queue"), {"created_from": "2026-13-01", "colour": "purple"}))
    assert "不是有效日期" in bad and "未知三色" in bad
    assert cases.mine.number in bad  # the bad filters are ignored, not the whole list


def test_the_queue_exports_the_current_filter_masked(client, personas, cases):
    client.force_login(personas.county_leader)
    rows = sheet_rows(client.get(reverse("cases:queue"), {"tab": "all", "text": "路灯", "export": "xlsx"}))
    assert rows[0][0] == "事件编号"
    assert [r[0] for r in rows[1:]] == [cases.ready.number]
    assert rows[1][8] == "139****1111"
    assert rows[1][4] == CaseStatus.REGISTERED.label
    all_rows = sheet_rows(client.get(reverse("cases:queue"), {"tab": "all", "export": "xlsx"}))
    assert {r[0] for r in all_rows[1:]} == {cases.mine.number, cases.ready.number}


def test_bulk_dispatch_reports_each_case_and_dispatches_the_registered_ones(
    client, seat, world, personas, housing_bureau, cases
):
    second = make_case(seat, world.grid, title="路灯闪烁", until=TO_REGISTERED)
    client.force_login(seat)
    response = client.post(
        reverse("cases:bulk-dispatch"),
        {"numbers": [cases.ready.number, second.number, cases.mine.number], "department": housing_bureau.code,
         "back": "tab=all"},
        follow=True,
    )  # fmt: skip
    page = html(response)
    assert f"{cases.ready.number}:已派遣" in page and f"{second.number}:已派遣" in page
    assert f"{cases.mine.number}:派遣失败" in page and "不能派遣" in page
    assert "成功 2 件,失败 1 件" in page
    statuses = dict(Case.objects.values_list("number", "status"))
    assert statuses[cases.ready.number] == statuses[second.number] == CaseStatus.DISPATCHED
    assert statuses[cases.mine.number] == CaseStatus.RECEIVED


def test_bulk_dispatch_by_someone_outside_the_case_changes_nothing(client, personas, housing_bureau, cases):
    client.force_login(personas.other_county_leader)
    page = html(client.post(
        reverse("cases:bulk-dispatch"), {"numbers": [cases.ready.number], "department": housing_bureau.code},
        follow=True,
    ))  # fmt: skip
    assert "派遣失败" in page and "不存在或无权查看" in page
    assert Case.objects.get(pk=cases.ready.pk).status == CaseStatus.REGISTERED


def test_the_intake_page_is_for_centre_desks_only(client, personas, seat):
    client.force_login(seat)
    page = html(client.get(reverse("cases:new")))
    assert 'id="phone"' in page and "房屋安全" in page and "12345热线" in page
    client.force_login(personas.housing_handler)
    assert client.get(reverse("cases:new")).status_code == 403


def test_the_caller_lookup_finds_earlier_cases_in_scope_masked(client, personas, seat, cases):
    client.force_login(seat)
    data = client.get(reverse("cases:caller"), {"phone": "138-1234-5678"}).json()
    assert [c["number"] for c in data["items"]] == [cases.mine.number]  # not the other county's
    assert data["items"][0]["reporter"] == "张*"
    assert "13812345678" not in client.get(reverse("cases:caller"), {"phone": "13812345678"}).content.decode()
    assert client.get(reverse("cases:caller"), {"phone": "12"}).json()["count"] == 0
    client.force_login(personas.other_county_leader)
    data = client.get(reverse("cases:caller"), {"phone": "13812345678"}).json()
    assert [c["number"] for c in data["items"]] == [cases.far.number]


def test_the_case_page_is_scoped_and_masks_the_reporter(client, personas, seat, cases):
    client.force_login(personas.other_county_leader)
    assert client.get(reverse("cases:detail", args=[cases.mine.number])).status_code == 404
    client.force_login(seat)
    page = html(client.get(reverse("cases:detail", args=[cases.mine.number])))
    assert "138****5678" in page and "13812345678" not in page
    assert "查看完整信息" in page and 'id="timeline"' in page and "登记" in page


def test_a_case_without_reporter_details_offers_nothing_to_unmask(client, seat, world):
    case = make_case(seat, world.grid, name="", phone="")
    client.force_login(seat)
    page = html(client.get(reverse("cases:detail", args=[case.number])))
    assert 'id="reporter"' in page and "查看完整信息" not in page


def test_an_anonymous_report_offers_nothing_to_unmask(client, seat, world):
    from gridgov.cases.services import CaseDraft, case_create
    from gridgov.core import clock
    from tests.cases_pages.conftest import inside

    lon, lat = inside(world.grid)
    draft = CaseDraft(
        channel="hotline_12345", category_code="0101", title="匿名反映噪音", lon=lon, lat=lat,
        reporter_anonymous=True,
    )  # fmt: skip
    case, _ = case_create(actor=seat, draft=draft, idempotency_key="pages-anon-0001", now=clock.now())
    client.force_login(seat)
    page = html(client.get(reverse("cases:detail", args=[case.number])))
    assert "匿名" in page and "查看完整信息" not in page and 'id="unmask"' not in page


def test_the_inbox_and_supervision_tabs_fall_back_to_their_default_on_an_unknown_tab(
    client, personas, seat, cases
):
    client.force_login(personas.county_leader)
    page = html(client.get(reverse("cases:supervision") + "?list=nonsense"))
    assert 'data-tab="all" aria-current="page"' in page
    client.force_login(personas.housing_handler)
    page = html(client.get(reverse("cases:inbox") + "?box=nonsense"))
    assert 'data-tab="todo" aria-current="page"' in page


def test_the_case_page_offers_exactly_the_acts_this_user_may_take(
    client, personas, seat, housing_bureau, cases
):
    client.force_login(seat)
    page = html(client.get(reverse("cases:detail", args=[cases.ready.number])))
    assert 'data-act="dispatch"' in page and 'data-act="handle"' not in page
    act(seat, cases.ready.number, A.DISPATCH, department_code=housing_bureau.code)
    client.force_login(personas.housing_handler)
    page = html(client.get(reverse("cases:detail", args=[cases.ready.number])))
    assert 'data-act="handle"' in page and 'data-act="return"' in page
    assert 'data-act="dispatch"' not in page and 'data-act="report_back"' not in page
    # The assignment sheet of the dispatch is addressed to the bureau: it may answer it here.
    assert 'data-act="respond"' in page
    client.force_login(personas.other_handler)
    assert client.get(reverse("cases:detail", args=[cases.ready.number])).status_code == 404


@pytest.mark.parametrize(
    "persona", ["seat", "county_leader", "housing_handler", "grid_worker", "city_dispatcher"]
)
def test_every_act_offered_is_one_the_service_accepts_the_permission_of(
    persona, personas, seat, housing_bureau, cases
):
    """acts_available must agree with case_act: an offered act never meets action_forbidden or a
    state refusal (it may still need its fields)."""
    from gridgov.core.errors import Conflict, Forbidden, InvalidInput

    act(seat, cases.ready.number, A.DISPATCH, department_code=housing_bureau.code)
    user = seat if persona == "seat" else getattr(personas, persona)
    for number in (cases.mine.number, cases.ready.number):
        case = case_get_for(seat, number)
        for available in acts_available(user, case):
            from django.db import transaction

            try:
                with transaction.atomic():
                    act(user, number, available.action)
                    transaction.set_rollback(True)
            except Forbidden as exc:
                pytest.fail(f"{available.value} offered to {persona} but forbidden: {exc.message_zh}")
            except Conflict as exc:
                assert exc.code not in ("action_not_allowed_in_state", "action_not_allowed_at_level")
            except InvalidInput:
                pass  # the act needs its fields; offered rightly


def test_the_inbox_lists_the_departments_work_and_exports_it(client, personas, seat, housing_bureau, cases):
    act(seat, cases.ready.number, A.DISPATCH, department_code=housing_bureau.code)
    client.force_login(personas.housing_handler)
    page = html(client.get(reverse("cases:inbox")))
    assert cases.ready.number in page and cases.mine.number not in page
    assert "交办单" in page  # the assignment sheet waits for an answer
    rows = sheet_rows(client.get(reverse("cases:inbox"), {"box": "todo", "export": "xlsx"}))
    assert [r[0] for r in rows[1:]] == [cases.ready.number]
    client.force_login(personas.other_handler)
    page = html(client.get(reverse("cases:inbox")))
    assert cases.ready.number not in page and "收件箱是空的" in page
    client.force_login(personas.county_leader)
    assert "供职能部门处置人员使用" in html(client.get(reverse("cases:inbox")))


def test_the_supervision_list_holds_red_and_supervised_cases_of_the_subtree(client, personas, seat, cases):
    Case.objects.filter(pk=cases.mine.pk).update(colour=Colour.RED)
    act(personas.county_leader, cases.ready.number, A.SUPERVISE, note="请加快办理")
    client.force_login(personas.county_leader)
    page = html(client.get(reverse("cases:supervision")))
    assert cases.mine.number in page and cases.ready.number in page
    assert "督办单" in page and cases.far.number not in page
    red = html(client.get(reverse("cases:supervision"), {"list": "red"})).split('id="open-notices"')[0]
    assert cases.mine.number in red and cases.ready.number not in red
    rows = sheet_rows(client.get(reverse("cases:supervision"), {"list": "supervised", "export": "xlsx"}))
    assert [r[0] for r in rows[1:]] == [cases.ready.number]
    client.force_login(personas.other_county_leader)
    page = html(client.get(reverse("cases:supervision")))
    assert cases.mine.number not in page and cases.ready.number not in page


def test_the_pages_need_a_login(client, world):
    for name in ("cases:queue", "cases:new", "cases:inbox", "cases:supervision"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]
