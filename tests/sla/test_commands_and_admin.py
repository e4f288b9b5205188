from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from gridgov.sla.models import CalendarDay


def run(*args: str) -> str:
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_calendar_command_prints_national_day_and_the_make_up_saturday():
    out = run("calendar", "2026-10")
    assert "2026-10-01 周四 休息 国庆节" in out
    assert "2026-10-10 周六 上班 国庆节调休上班" in out
    assert "2026-10-11 周日 休息" in out
    assert "工作日 18 天,休息日 13 天" in out
    assert "警告" not in out


@pytest.mark.django_db
def test_the_calendar_command_warns_for_a_year_not_entered():
    out = run("calendar", "2027-01")
    assert "2027-01-01 周五 上班 [未录入,按周末规则]" in out
    assert "警告:2027年节假日安排尚未录入" in out


@pytest.mark.django_db
def test_the_calendar_command_shows_an_override():
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    out = run("calendar", "2027-01")
    assert "2027-01-01 周五 休息 元旦 [后台录入]" in out
    assert "警告" not in out


@pytest.mark.django_db
def test_a_bad_month_is_a_readable_error():
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("calendar", "October")


@pytest.mark.django_db
def test_the_deadline_command_counts_across_national_day():
    out = run("deadline", "2026-09-30 16:00", "3wd")
    assert "截止 2026-10-10 16:00" in out
    out = run(
        "deadline",
        "2026-09-30 16:00",
        "3wd",
        "--extend",
        "1wd",
        "--pause",
        "2026-10-08 09:00",
        "2026-10-08 12:00",
    )
    # 3 + 1 working days end Monday 12 Oct 16:00; three paused hours move that to Tuesday 10:30.
    assert "截止 2026-10-13 10:30" in out


@pytest.mark.django_db
def test_load_year_command_fills_the_overrides():
    out = run("load-year", "2026")
    assert "新载入" in out
    assert CalendarDay.objects.filter(date__year=2026, is_workday=True, name="国庆节调休上班").count() == 2
    with pytest.raises(CommandError, match="2027"):
        run("load-year", "2027")


# --- admin -----------------------------------------------------------------------------------------
def admin_page(client, django_user_model, url: str) -> str:
    # Logged in under the frozen clock, or the session would have expired by the travelled date.
    admin = django_user_model.objects.create_superuser("root", password="Test-Passw0rd!")
    client.force_login(admin)
    return client.get(url).content.decode()


@pytest.mark.django_db
def test_the_admin_warns_in_december_that_next_years_schedule_is_missing(client, django_user_model):
    with time_machine.travel("2026-12-01T10:00:00+08:00", tick=False):
        page = admin_page(client, django_user_model, "/admin/sla/calendarday/")
    assert "2027年节假日安排尚未录入" in page
    assert "从 chinese-calendar 载入年度安排" in page


@pytest.mark.django_db
def test_the_admin_is_quiet_when_this_and_next_year_are_known(client, django_user_model):
    with time_machine.travel("2025-06-01T10:00:00+08:00", tick=False):
        page = admin_page(client, django_user_model, "/admin/sla/calendarday/")
    assert "节假日与调休" in page
    assert "尚未录入" not in page


@pytest.mark.django_db
def test_the_admin_loads_a_year_for_review(admin_client):
    assert admin_client.get("/admin/sla/calendarday/load-year/").status_code == 200
    response = admin_client.post("/admin/sla/calendarday/load-year/", {"year": "2026"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    page = admin_client.get(response["Location"]).content.decode()
    assert "国庆节调休上班" in page
    assert CalendarDay.objects.filter(date__year=2026).exists()


@pytest.mark.django_db
def test_the_admin_edits_business_hours_once(admin_client):
    assert admin_client.get("/admin/sla/businesshours/add/").status_code == 200
    response = admin_client.post(
        "/admin/sla/businesshours/add/",
        {
            "morning_start": "08:30",
            "morning_end": "12:00",
            "afternoon_start": "14:00",
            "afternoon_end": "17:30",
        },
    )
    assert response.status_code == 302
    # One row serves the platform: adding a second is not offered.
    assert admin_client.get("/admin/sla/businesshours/add/").status_code == 403
