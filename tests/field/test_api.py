"""The field app's JSON API: scope (a worker sees only its own grids' tasks and its own patrols),
idempotency by the phone's key, time and distance computed on the server, joint-patrol
compliance, household visits, daily log and weekly summary; bad input is a 4xx that writes nothing."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.field.models import HouseholdVisit, Patrol, PatrolHazard, PatrolPoint
from gridgov.geo.index import haversine_m
from gridgov.registry.models import Hazard
from tests.field.conftest import Api, iso, ok, open_case, reported_case
from tests.registry.conftest import MONDAY

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_a_worker_sees_the_cases_of_its_own_grid_to_verify_and_check_and_not_the_neighbours(
    world, personas, other_worker
):
    mine = open_case(world, personas, title="井盖缺失")
    theirs = open_case(world, personas, grid=world.other_grid, title="占道经营")
    to_check = reported_case(world, personas)
    tasks = ok(Api(personas.grid_worker).get("/tasks"))
    assert [c["number"] for c in tasks["verify"]] == [mine.number]
    assert [c["number"] for c in tasks["check"]] == [to_check.number]
    assert tasks["verify"][0]["version"] == mine.version
    other = ok(Api(other_worker).get("/tasks"))
    assert [c["number"] for c in other["verify"]] == [theirs.number]
    assert other["check"] == []


def test_a_worker_sees_its_overdue_key_person_visits_among_its_tasks(
    world, personas, key_person, other_worker
):
    tasks = ok(Api(personas.grid_worker).get("/tasks"))
    assert [p["id"] for p in tasks["visits_overdue"]] == [key_person.pk]
    assert tasks["visits_overdue"][0]["name"] == "李四"
    assert ok(Api(other_worker).get("/tasks"))["visits_overdue"] == []


def test_me_lists_the_workers_grids_with_their_outline_and_the_police_of_its_beat(world, personas, police):
    me = ok(Api(personas.grid_worker).get("/me"))
    assert [g["code"] for g in me["grids"]] == [world.grid.code]
    assert me["grids"][0]["boundary"]["type"] in {"Polygon", "MultiPolygon"}
    assert me["police"] == [{"id": police.pk, "name": police.display_name}]
    assert me["joint_patrol_rule"] == {"per_day": 2, "min_minutes": 30}


def _track(world, n: int = 4):
    from tests.field.conftest import inside

    lon, lat = inside(world.grid)
    return [(lon + i * 0.001, lat) for i in range(n)]


def test_a_patrol_started_tracked_and_stopped_gets_its_time_and_geodesic_distance_from_the_server(
    world, personas, monday
):
    api = Api(personas.grid_worker)
    started = MONDAY
    p = ok(
        api.post(
            "/patrols", {"client_key": "patrol-0001", "grid": world.grid.code, "started_at": iso(started)}
        ),
        201,
    )
    assert p["status"] == "active" and p["joint"] is False
    track = _track(world)
    points = [
        {"at": iso(started + timedelta(minutes=5 * i)), "lon": x, "lat": y} for i, (x, y) in enumerate(track)
    ]
    monday.move_to(started + timedelta(minutes=40))
    first = ok(api.post("/patrols/patrol-0001/points", {"points": points[:2]}))
    assert first["added"] == 2
    again = ok(api.post("/patrols/patrol-0001/points", {"points": points}))  # a batch resent with more
    assert again["added"] == 2 and again["point_count"] == 4
    done = ok(api.post("/patrols/patrol-0001/stop", {"ended_at": iso(started + timedelta(minutes=35))}))
    expected = sum(float(haversine_m(a[0], a[1], b[0], b[1])) for a, b in pairwise(track))
    assert done["duration_s"] == 35 * 60
    assert done["distance_m"] == pytest.approx(expected, abs=0.2)
    assert 200 < done["distance_m"] < 300  # three steps of 0.001° of longitude at 36°N: about 90 m each
    assert done["stopped_now"] is True
    resent = ok(api.post("/patrols/patrol-0001/stop", {"ended_at": iso(started + timedelta(minutes=39))}))
    assert resent["stopped_now"] is False and resent["duration_s"] == 35 * 60
    assert Patrol.objects.count() == 1 and PatrolPoint.objects.count() == 4


def test_starting_a_patrol_twice_with_one_key_makes_one_patrol(world, personas, monday):
    api = Api(personas.grid_worker)
    body = {"client_key": "patrol-0002", "grid": world.grid.code, "started_at": iso(MONDAY)}
    ok(api.post("/patrols", body), 201)
    ok(api.post("/patrols", body), 200)
    assert Patrol.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"client_key": "short", "grid": "G", "started_at": "2026-03-02T09:00:00+08:00"}, 422),
        (
            {
                "client_key": "patrol-bad1",
                "grid": "999999999999999",
                "started_at": "2026-03-02T09:00:00+08:00",
            },
            422,
        ),
        ({"client_key": "patrol-bad2", "grid": "GRID", "started_at": "2026-03-03T09:00:00+08:00"}, 422),
        (
            {"client_key": "patrol-bad3", "grid": "GRID", "started_at": "2026-03-02T09:00:00+08:00", "x": 1},
            422,
        ),
    ],
)
def test_a_bad_patrol_start_is_refused_and_writes_nothing(world, personas, monday, body, code):
    body = {**body, "grid": world.grid.code if body["grid"] == "GRID" else body["grid"]}
    r = Api(personas.grid_worker).post("/patrols", body)
    assert r.status_code == code, r.content
    assert " / " in r.json()["message"]
    assert Patrol.objects.count() == 0


def test_a_worker_cannot_patrol_a_grid_that_is_not_its_own(world, personas, monday):
    r = Api(personas.grid_worker).post(
        "/patrols", {"client_key": "patrol-0003", "grid": world.other_grid.code, "started_at": iso(MONDAY)}
    )
    assert r.status_code == 422 and r.json()["code"] == "bad_grid"
    assert Patrol.objects.count() == 0


def test_a_dispatcher_may_not_patrol(world, personas, monday):
    r = Api(personas.township_dispatcher).post(
        "/patrols", {"client_key": "patrol-0004", "grid": world.grid.code, "started_at": iso(MONDAY)}
    )
    assert r.status_code == 403
    assert Patrol.objects.count() == 0


def test_a_batch_with_one_bad_point_adds_no_point(world, personas, monday):
    api = Api(personas.grid_worker)
    ok(
        api.post(
            "/patrols", {"client_key": "patrol-0005", "grid": world.grid.code, "started_at": iso(MONDAY)}
        ),
        201,
    )
    (x, y), *_ = _track(world)
    bad = [
        {"at": iso(MONDAY), "lon": x, "lat": y},
        {"at": iso(MONDAY + timedelta(seconds=5)), "lon": 200, "lat": y},
    ]
    assert api.post("/patrols/patrol-0005/points", {"points": bad}).status_code == 422
    early = [{"at": iso(MONDAY - timedelta(hours=1)), "lon": x, "lat": y}]
    assert api.post("/patrols/patrol-0005/points", {"points": early}).status_code == 422
    assert PatrolPoint.objects.count() == 0


def test_another_workers_patrol_answers_like_no_patrol(world, personas, other_worker, monday):
    ok(Api(personas.grid_worker).post(
        "/patrols", {"client_key": "patrol-0006", "grid": world.grid.code, "started_at": iso(MONDAY)}
    ), 201)  # fmt: skip
    r = Api(other_worker).post("/patrols/patrol-0006/stop", {"ended_at": iso(MONDAY)})
    assert r.status_code == 404
    assert Patrol.objects.get().status == "active"


def _joint_patrol(api, world, police, key: str, start, minutes: int) -> None:
    ok(
        api.post(
            "/patrols",
            {"client_key": key, "grid": world.grid.code, "started_at": iso(start), "police_id": police.pk},
        ),
        201,
    )
    ok(api.post(f"/patrols/{key}/stop", {"ended_at": iso(start + timedelta(minutes=minutes))}))


def test_two_joint_patrols_of_thirty_minutes_make_a_compliant_day_and_one_does_not(
    world, personas, police, monday
):
    api = Api(personas.grid_worker)
    monday.move_to(MONDAY + timedelta(hours=10))
    _joint_patrol(api, world, police, "joint-0001", MONDAY, 31)
    _joint_patrol(api, world, police, "joint-0002", MONDAY + timedelta(hours=2), 20)  # too short
    day = MONDAY.date().isoformat()
    one = ok(api.get("/patrols", day=day))["compliance"]
    assert one == {
        "day": day,
        "required": 2,
        "min_minutes": 30,
        "joint": 2,
        "qualifying": 1,
        "compliant": False,
    }
    _joint_patrol(api, world, police, "joint-0003", MONDAY + timedelta(hours=4), 30)
    two = ok(api.get("/patrols", day=day))["compliance"]
    assert two["qualifying"] == 2 and two["compliant"] is True


def test_the_compliance_rule_is_configurable(world, personas, police, monday, settings):
    settings.FIELD_JOINT_PATROLS_PER_DAY = 1
    settings.FIELD_JOINT_PATROL_MIN_MINUTES = 15
    api = Api(personas.grid_worker)
    monday.move_to(MONDAY + timedelta(hours=1))
    _joint_patrol(api, world, police, "joint-0004", MONDAY, 20)
    c = ok(api.get("/patrols", day=MONDAY.date().isoformat()))["compliance"]
    assert (c["required"], c["min_minutes"], c["compliant"]) == (1, 15, True)


def test_a_joint_patrol_needs_an_officer_of_the_grids_beat(world, personas, monday):
    from gridgov.accounts.enums import Role
    from tests.conftest import _center, make_user

    stranger = make_user("pol2", Role.POLICE, center=_center(world.community))
    r = Api(personas.grid_worker).post(
        "/patrols",
        {
            "client_key": "joint-0005",
            "grid": world.grid.code,
            "started_at": iso(MONDAY),
            "police_id": stranger.pk,
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "bad_police"
    assert Patrol.objects.count() == 0


def test_a_hazard_found_on_a_patrol_is_reported_to_the_registry_once(world, personas, monday):
    api = Api(personas.grid_worker)
    ok(
        api.post(
            "/patrols", {"client_key": "patrol-0007", "grid": world.grid.code, "started_at": iso(MONDAY)}
        ),
        201,
    )
    body = {"client_key": "hazard-0001", "title": "消防通道堵塞", "found_at": iso(MONDAY)}
    first = ok(api.post("/patrols/patrol-0007/hazards", body), 201)
    again = ok(api.post("/patrols/patrol-0007/hazards", body), 200)
    assert first["hazard_id"] == again["hazard_id"]
    hazard = Hazard.objects.get()
    assert hazard.title == "消防通道堵塞" and hazard.grid_id == world.grid.pk
    assert PatrolHazard.objects.count() == 1


def test_a_household_visit_with_a_photo_is_recorded_once_per_client_key(world, personas, monday):
    api = Api(personas.grid_worker)
    from tests.field.conftest import inside

    lon, lat = inside(world.grid)

    def send():
        data = {"client_key": "house-0001", "grid": world.grid.code, "household": "3栋2单元501",
                "notes": "独居老人,身体良好", "visited_at": iso(MONDAY), "lon": lon, "lat": lat,
                "photo": SimpleUploadedFile("door.png", PNG, content_type="image/png")}  # fmt: skip
        return api.form("/api/v1/field/household-visits", data)

    assert send().status_code == 201
    second = send()
    assert second.status_code == 200
    visit = HouseholdVisit.objects.get()
    assert visit.household == "3栋2单元501" and visit.photo.name.endswith(".png")
    assert second.json()["photo"]


def test_a_household_visit_without_notes_or_outside_ones_grids_writes_nothing(world, personas, monday):
    api = Api(personas.grid_worker)
    base = {
        "client_key": "house-0002",
        "grid": world.grid.code,
        "household": "1栋",
        "notes": "",
        "visited_at": iso(MONDAY),
    }
    r = api.form("/api/v1/field/household-visits", base)
    assert r.status_code == 422 and r.json()["code"] == "notes_required"
    r = api.form("/api/v1/field/household-visits", {**base, "notes": "正常", "grid": world.other_grid.code})
    assert r.status_code == 422
    assert HouseholdVisit.objects.count() == 0


def test_the_daily_log_and_weekly_summary_count_what_the_worker_did(
    world, personas, police, monday, key_person
):
    from gridgov.core import clock
    from gridgov.registry.services import visit_record

    api = Api(personas.grid_worker)
    case = open_case(world, personas, title="垃圾满溢")
    from tests.cases.conftest import Api as CasesApi

    cases = CasesApi(personas.grid_worker)
    ok(cases.act(case.number, "verify", note="属实"))
    body = {"channel": "grid_worker", "category": "0101", "title": "护栏损坏"}
    ok(cases.create(body), 201)
    visit_record(actor=personas.grid_worker, key_person_id=key_person.pk, client_key="kpvisit-01",
                 visited_at=MONDAY, findings="在家,情绪稳定", now=clock.now())  # fmt: skip
    monday.move_to(MONDAY + timedelta(hours=2))
    _joint_patrol(api, world, police, "joint-0010", MONDAY, 45)
    daily = ok(api.get("/daily", day=MONDAY.date().isoformat()))
    assert daily["counts"] == {
        "cases_reported": 1, "cases_verified": 1, "cases_checked": 0, "key_person_visits": 1,
        "household_visits": 0, "patrols": 1, "joint_patrols": 1, "patrol_minutes": 45, "distance_km": 0.0,
    }  # fmt: skip
    assert daily["cases_verified"] == [case.number]
    weekly = ok(api.get("/weekly", day=(MONDAY + timedelta(days=3)).date().isoformat()))
    assert weekly["week_of"] == MONDAY.date().isoformat()
    assert len(weekly["days"]) == 7
    assert weekly["counts"]["cases_verified"] == 1 and weekly["counts"]["patrol_minutes"] == 45
    assert weekly["days"][0]["counts"]["joint_patrols"] == 1 and weekly["days"][1]["counts"]["patrols"] == 0
    # Another worker's log shows none of it.
    assert ok(Api(personas.grid_head).get("/daily", day=MONDAY.date().isoformat()))["counts"]["patrols"] == 0


def test_the_field_api_answers_401_without_a_login(db):
    from django.test import Client

    assert Client().get("/api/v1/field/tasks").status_code == 401


def test_a_centre_sees_the_compliance_of_each_worker_in_its_area_and_a_worker_only_its_own(
    world, personas, police, other_worker, monday
):
    monday.move_to(MONDAY + timedelta(hours=3))
    api = Api(personas.grid_worker)
    _joint_patrol(api, world, police, "joint-0020", MONDAY, 30)
    _joint_patrol(api, world, police, "joint-0021", MONDAY + timedelta(hours=1), 35)
    day = MONDAY.date().isoformat()
    seen = {
        r["worker"]: r for r in ok(Api(personas.township_dispatcher).get("/compliance", day=day))["items"]
    }
    assert seen["gw"]["compliant"] is True and seen["gw"]["qualifying"] == 2
    assert seen["gw2"]["compliant"] is False and seen["gw2"]["joint"] == 0
    own = ok(Api(other_worker).get("/compliance", day=day))["items"]
    assert [r["worker"] for r in own] == ["gw2"]
    assert ok(Api(personas.other_county_leader).get("/compliance", day=day))["items"] == []
