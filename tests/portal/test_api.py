"""The citizen portal's JSON API: report, track, rate, the public list, and its defences."""

from __future__ import annotations

import pytest

from gridgov.cases.enums import CaseAction, CaseStatus, Channel
from gridgov.cases.models import Case
from gridgov.geo.coords import wgs84_to_gcj02
from tests.portal.conftest import PHONE, Citizen, close_through_loop, inside, png_bytes

pytestmark = pytest.mark.django_db


def _number(response, status: int = 201) -> str:
    assert response.status_code == status, response.content.decode()[:600]
    return response.json()["number"]


def test_a_citizen_report_becomes_a_citizen_app_case_with_its_photo_in_its_grid(
    world, personas, citizen, monday
):
    lon, lat = inside(world.grid)
    number = _number(citizen.report(lon=lon, lat=lat, photos=[("门口.png", png_bytes())], name="李四"))
    case = Case.objects.get(number=number)
    assert case.channel == Channel.CITIZEN_APP
    assert case.category.code == "2001"
    assert case.grid_id == world.grid.pk
    assert case.reporter_phone == PHONE and case.reporter_name == "李四"
    assert [a.content_type for a in case.attachments.all()] == ["image/png"]
    assert case.events.get().action == CaseAction.CREATE


def test_a_gcj02_position_from_a_map_sdk_is_converted_to_wgs84(world, personas, citizen, monday):
    lon, lat = inside(world.grid)
    glon, glat = wgs84_to_gcj02([lon], [lat])
    number = _number(citizen.report(lon=float(glon[0]), lat=float(glat[0]), coord_system="gcj02"))
    case = Case.objects.get(number=number)
    assert case.crs == "wgs84"
    assert abs(case.lon - lon) < 1e-5 and abs(case.lat - lat) < 1e-5
    assert case.grid_id == world.grid.pk


def test_a_suggestion_needs_no_category_and_files_under_consultation(personas, citizen, monday):
    number = _number(citizen.report(kind="suggestion", category="", text="建议在公园增设一些健身器材和座椅"))
    case = Case.objects.get(number=number)
    assert case.category.code == "9901"
    assert case.title.startswith("【建议】")


def test_a_double_tap_or_a_retry_makes_one_case(personas, citizen, monday):
    photos = [("a.png", png_bytes())]
    first = citizen.report(key="tap-tap-0001", photos=photos)
    again = citizen.report(key="tap-tap-0001", photos=photos)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.attachments.count() == 1


def test_the_same_key_with_other_content_is_refused_and_writes_nothing(personas, citizen, monday):
    _number(citizen.report(key="reused-key-01"))
    other = citizen.report(key="reused-key-01", text="完全不同的另一件事情的描述")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"phone": "12345"}, "bad_phone"),
        ({"text": "短"}, "text_too_short"),
        ({"category": ""}, "category_required"),
        ({"category": "7777"}, "bad_category"),
        ({"lon": 103.8}, "bad_location"),
        ({"website": "http://spam.example"}, "bot_suspected"),
        ({"form_token": "forged"}, "bad_form_token"),
    ],
)
def test_a_bad_report_is_a_422_in_chinese_and_english_and_makes_nothing(
    personas, citizen, monday, fields, code
):
    response = citizen.report(**fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    assert " / " in body["message"]
    assert Case.objects.count() == 0


def test_only_photos_of_a_sane_size_and_type_are_taken(personas, citizen, monday, settings):
    pdf = citizen.report(photos=[("x.png", b"%PDF-1.4 not a photo")])
    assert pdf.status_code == 422 and pdf.json()["code"] == "bad_photo_type"
    settings.GRIDGOV = {**settings.GRIDGOV, "PORTAL": {"MIN_FILL_SECONDS": 0, "MAX_PHOTO_BYTES": 50}}
    big = citizen.report(photos=[("x.png", png_bytes() + b"\0" * 100)])
    assert big.status_code == 422 and big.json()["code"] == "photo_too_large"
    assert Case.objects.count() == 0


def test_a_form_sent_faster_than_a_person_can_fill_it_is_refused(personas, citizen, monday, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "PORTAL": {"MIN_FILL_SECONDS": 3}}
    token = citizen.token()
    assert citizen.report(form_token=token).json()["code"] == "too_fast"
    monday.shift(5)
    assert citizen.report(form_token=token).status_code == 201


def test_too_many_reports_from_one_phone_is_a_429_in_chinese(personas, monday, settings):
    settings.GRIDGOV = {
        **settings.GRIDGOV,
        "PORTAL": {"MIN_FILL_SECONDS": 0, "LIMITS": {"submit_phone": [2, 3600]}},
    }
    for i in range(2):
        assert Citizen(ip=f"10.0.0.{i}").report(key=f"phone-limit-{i}").status_code == 201
    refused = Citizen(ip="10.0.0.9").report(key="phone-limit-9")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["message"].startswith("操作过于频繁")
    assert Case.objects.count() == 2
    monday.shift(3600)
    assert Citizen(ip="10.0.0.10").report(key="phone-limit-10").status_code == 201


def test_too_many_reports_from_one_address_is_a_429_and_a_retry_of_an_accepted_one_is_not_counted(
    personas, citizen, monday, settings
):
    settings.GRIDGOV = {
        **settings.GRIDGOV,
        "PORTAL": {"MIN_FILL_SECONDS": 0, "LIMITS": {"submit_ip": [1, 600]}},
    }
    token = citizen.token()
    assert citizen.report(key="only-one-0001", form_token=token).status_code == 201
    assert citizen.report(key="only-one-0001", form_token=token).status_code == 200
    assert citizen.report(key="second-0002", phone="13700000000").status_code == 429


def test_tracking_needs_the_number_and_the_phone_and_a_wrong_pair_is_the_same_404(personas, citizen, monday):
    number = _number(citizen.report())
    ok = citizen.track(number)
    assert ok.status_code == 200
    assert ok.json()["status"] == "待受理"
    wrong_phone, missing = citizen.track(number, phone="13800000000"), citizen.track("620102-20260302-9999")
    assert wrong_phone.status_code == missing.status_code == 404
    assert wrong_phone.json() == missing.json()


def test_tracking_a_number_with_many_phones_is_rate_limited(personas, citizen, monday):
    number = _number(citizen.report())
    answers = [
        Citizen(ip=f"10.9.0.{i}").track(number, phone=f"1380000{i:04d}").status_code for i in range(11)
    ]
    assert answers[:10] == [404] * 10
    assert answers[10] == 429
    # Even the right phone waits out the window: the number is under attack.
    assert citizen.track(number).status_code == 429


def test_the_timeline_shows_the_public_steps_without_staff_names_or_internal_notes(personas, citizen, monday):
    number = _number(citizen.report())
    close_through_loop(personas, number, result="已清运,联系电话13811112222,身份证620102199001011234")
    body = citizen.track(number).json()
    text = str(body)
    assert body["can_rate"] is True and body["status"] == "已办结(待评价)"
    labels = [step["label"] for step in body["timeline"]]
    assert labels[0] == "已收到您的反映" and labels[-1] == "已办结"
    assert "承办部门已反馈办理结果" in labels
    for secret in ("王科长", "现场属实", "cd", "hh", "13811112222", "620102199001011234", PHONE):
        assert secret not in text, secret
    assert "[已隐去]" in text


def test_rating_a_closed_case_is_its_follow_up_and_satisfied_archives_it(personas, citizen, monday):
    number = _number(citizen.report())
    assert citizen.rate(number, "satisfied").json()["code"] == "not_ratable"  # not closed yet
    close_through_loop(personas, number)
    answer = citizen.rate(number, "basically_satisfied", comment="处理及时")
    assert answer.status_code == 200, answer.content
    case = Case.objects.get(number=number)
    assert case.status == CaseStatus.ARCHIVED and case.rating == "basically_satisfied"
    follow_up = case.events.get(action=CaseAction.FOLLOW_UP)
    assert follow_up.data["rating"] == "basically_satisfied"
    assert "处理及时" in follow_up.note
    assert follow_up.actor.username.startswith("portal-") and not follow_up.actor.has_usable_password()
    assert citizen.rate(number, "unsatisfied").status_code == 409  # once


def test_an_unsatisfied_citizen_reopens_the_case(personas, citizen, monday):
    number = _number(citizen.report())
    close_through_loop(personas, number)
    assert citizen.rate(number, "unsatisfied", comment="垃圾又堆回来了").status_code == 200
    case = Case.objects.get(number=number)
    assert case.status == CaseStatus.HANDLING and case.redo_count == 1


def test_a_wrong_phone_cannot_rate(personas, citizen, monday):
    number = _number(citizen.report())
    close_through_loop(personas, number)
    assert citizen.rate(number, "unsatisfied", phone="13800000000").status_code == 404
    assert Case.objects.get(number=number).status == CaseStatus.CLOSED


def test_the_public_list_shows_closed_cases_without_personal_data(world, personas, citizen, monday):
    lon, lat = inside(world.grid)
    number = _number(citizen.report(lon=lon, lat=lat, name="李四", address="幸福小区3号楼"))
    open_number = _number(citizen.report(text="另一件还在办理中的事情"))
    dispute = _number(citizen.report(category="1101", text="邻居装修噪音扰民纠纷"))
    close_through_loop(personas, number, result="已清运。如有疑问请联系13811112222")
    close_through_loop(personas, dispute)
    body = citizen.client.get("/api/v1/portal/public").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row == {
        "category": "暴露垃圾" if row["category_code"] == "2004" else row["category"],
        "category_code": "2001",
        "area": world.community.name,
        "created_on": "2026-03-02",
        "closed_on": "2026-03-02",
        "result": "已清运。如有疑问请联系[已隐去]",
        "rating": "",
    }
    text = str(body)
    for secret in ("李四", "幸福小区", PHONE, "13811112222", number, open_number):
        assert secret not in text
    assert citizen.client.get("/api/v1/portal/public", {"category": "03"}).json()["count"] == 0
