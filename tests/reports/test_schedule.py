"""The worker's schedule: after midnight it queues what the calendar says is due, for the city
and every county, once; the queued tasks generate the bulletins."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Region
from gridgov.reports.models import Report
from gridgov.reports.tasks import generate_report, schedule_reports
from tests.reports.conftest import at, make_case, refresh


def test_after_midnight_the_schedule_queues_each_due_report_once_and_the_worker_generates_it(
    world, seat, clock_at, django_capture_on_commit_callbacks
):
    clock_at(at(2026, 3, 31, 15))
    make_case(seat, world.grid, title="路灯不亮")
    clock_at(at(2026, 4, 1, 0, 20))  # Wednesday 1 April: a new day, month and quarter
    refresh()
    with django_capture_on_commit_callbacks(execute=True):
        queued = schedule_reports.call()
    regions = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).count()
    assert len(queued) == 4 * regions
    periods = {
        (kind, start.isoformat(), end.isoformat())
        for kind, start, end in Report.objects.values_list("kind", "period_start", "period_end")
    }
    assert periods == {
        ("daily", "2026-03-31", "2026-03-31"),
        ("weekly", "2026-03-23", "2026-03-29"),  # the last whole week, Monday to Sunday
        ("monthly", "2026-03-01", "2026-03-31"),
        ("quarterly", "2026-01-01", "2026-03-31"),
    }
    # Each is a task in the worker's queue, with the report's id.
    tasks = DBTaskResult.objects.filter(task_path=generate_report.module_path)
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(queued)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_reports.call() == []  # a second run the same night finds nothing to do

    # The worker runs the queued task for the county's daily report.
    daily = Report.objects.get(kind="daily", region=world.county)
    assert generate_report.call(daily.pk) == 1
    daily.refresh_from_db()
    assert daily.status == "ready" and daily.requested_by is None
    assert daily.versions.get().sections[0]["text"].startswith("2026年3月31日,城关区共受理各类事件 1 件")
    assert generate_report.call(daily.pk) is None  # run twice: nothing more


def test_the_demo_seeder_generates_the_last_reports_of_the_city_and_a_county_once(world, seat, clock_at):
    from gridgov.core import clock
    from gridgov.reports.demo import seed_demo

    clock_at(at(2026, 3, 31, 15))
    make_case(seat, world.grid, title="路灯不亮")
    clock_at(at(2026, 4, 1, 8))
    lines = seed_demo(city=world.city, now=clock.now())
    assert "演示数据(合成)" in lines[0]
    ready = Report.objects.filter(status="ready")
    assert sorted(ready.values_list("kind", flat=True)) == sorted(["daily", "weekly", "monthly"] * 2)
    seed_demo(city=world.city, now=clock.now())
    assert Report.objects.count() == 6 and all(b.versions.count() == 1 for b in ready)
