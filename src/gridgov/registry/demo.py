"""Demo data of the registers (演示数据(合成)): facilities, POIs, key places, hazards in every
state, key persons chosen among the residents (made here if the bulk demo loaded none) and their
visits over the last 90 days, so that some are overdue. Everything goes through the services
(with history) and is labelled synthetic; a second run adds nothing.

Proportions: Lanzhou manages about 2,600 key persons (seeds); the default demo is 1:20 of that,
`--full-size` the whole figure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from typing import Any

import shapely
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.enums import GridDuty
from gridgov.accounts.models import GridStaff
from gridgov.core.errors import DomainError
from gridgov.geo.models import Grid, Region
from gridgov.registry import services
from gridgov.registry.enums import (
    DataSource,
    FacilityState,
    HazardAction,
    HazardLevel,
    KeyPlaceKind,
    ResidentKind,
    RiskLevel,
)
from gridgov.registry.models import Facility, Hazard, KeyPerson, KeyPersonCategory, KeyPlace, Poi, Resident
from gridgov.registry.services.things import facility_categories
from gridgov.registry.validators import id_check_char

SYN = DataSource.SYNTHETIC
LABEL = "演示数据(合成)"
KEY_PERSONS_FULL = 2600
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏飞宁欣怡浩然子轩梓涵雨彤"
PLACES = [
    (KeyPlaceKind.NINE_SMALL, "{}便民超市", "消防通道畅通、灭火器有效、不得住人"),
    (KeyPlaceKind.CROWDED, "{}农贸市场", "每日开市前巡查疏散通道和电气线路"),
    (KeyPlaceKind.RENTAL, "{}出租屋", "核对租住人员登记,检查电动车充电"),
    (KeyPlaceKind.CAMPUS, "{}小学周边", "上下学时段护学,排查周边摊点"),
    (KeyPlaceKind.CONSTRUCTION, "{}建筑工地", "检查围挡、扬尘和塔吊安全"),
    (KeyPlaceKind.HAZMAT, "{}加油站", "检查危化品储存和防爆设施"),
]
HAZARDS = [
    "楼道堆放杂物",
    "电动车楼道充电",
    "消防通道占用",
    "灭火器过期",
    "私拉乱接电线",
    "井盖破损",
    "围墙开裂",
]
FINDINGS = [
    "本人在家,情绪稳定",
    "按时报到,无异常",
    "家属反映近况良好",
    "本人外出务工,电话联系正常",
    "情绪低落,已联系社区心理服务",
]


def _say(out: Any, text: str) -> None:
    if out is not None:
        out.write(text)


def _points(grid: Grid, n: int, rng: random.Random) -> list[tuple[float, float]]:
    shape = shapely.from_geojson(json.dumps(grid.boundary))
    minx, miny, maxx, maxy = shape.bounds
    found: list[tuple[float, float]] = []
    tries = 0
    while len(found) < n and tries < n * 50:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shape.contains(shapely.Point(x, y)):
            found.append((round(x, 6), round(y, 6)))
    return found


def _id_number(county_code: str, rng: random.Random, serial: int) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    first17 = f"{county_code}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def seed_demo(*, city: Region, now: dt.datetime, out: Any, options: dict[str, Any]) -> list[str]:
    rng = random.Random(5)
    full = bool(options.get("full_size"))
    target = KEY_PERSONS_FULL if full else KEY_PERSONS_FULL // 20
    grids = list(Grid.objects.filter(code__startswith=city.prefix).order_by("code"))
    if not grids:
        return []
    sample = rng.sample(grids, min(len(grids), 60))
    made = {
        "facilities": _facilities(sample, rng, now),
        "pois": _pois(sample, rng, now),
        "key_places": _key_places(sample, rng, now),
    }
    made["hazards"] = _hazards(sample, rng, now)
    made["residents"] = _residents(city, sample, rng, now, need=target * 3)
    made["key_persons"], made["visits"] = _key_persons(city, rng, now, target)
    _say(out, f"基础台账演示数据 / registry demo: {made}")
    overdue = KeyPerson.objects.filter(source=SYN, next_visit_due__lt=timezone.localdate(now)).count()
    total = KeyPerson.objects.filter(source=SYN).count()
    return [
        f"基础台账{LABEL}: {total} 名重点人员(其中 {overdue} 名超期未走访),部件、重点场所、隐患见 /registry/"
    ]


def _facilities(grids: list[Grid], rng: random.Random, now: dt.datetime) -> int:
    if Facility.objects.filter(code__startswith="DEMO-").exists():
        return 0
    categories = list(facility_categories())
    n = 0
    with transaction.atomic():
        for grid in grids:
            for k, (lon, lat) in enumerate(_points(grid, 4, rng)):
                state = rng.choices(list(FacilityState), weights=[85, 10, 3, 2])[0]
                services.facility_save(
                    actor=None,
                    code=f"DEMO-{grid.code}-{k:02d}",
                    category=rng.choice(categories),
                    lon=lon,
                    lat=lat,
                    state=state,
                    note=LABEL,
                    source=SYN,
                    now=now,
                )
                n += 1
    return n


def _pois(grids: list[Grid], rng: random.Random, now: dt.datetime) -> int:
    if Poi.objects.filter(source=SYN).exists():
        return 0
    kinds = ["餐饮", "药店", "银行网点", "公交站", "社区服务站", "便利店"]
    n = 0
    with transaction.atomic():
        for grid in grids:
            for lon, lat in _points(grid, 2, rng):
                kind = rng.choice(kinds)
                services.poi_save(
                    actor=None, name=f"{grid.name}{kind}", kind=kind, lon=lon, lat=lat, source=SYN, now=now
                )
                n += 1
    return n


def _key_places(grids: list[Grid], rng: random.Random, now: dt.datetime) -> int:
    if KeyPlace.objects.filter(source=SYN).exists():
        return 0
    n = 0
    with transaction.atomic():
        for grid in grids[:40]:
            kind, name, duties = rng.choice(PLACES)
            points = _points(grid, 1, rng)
            lon, lat = points[0] if points else (None, None)
            place = services.key_place_save(
                actor=None,
                name=name.format(grid.name),
                kind=kind,
                duties=duties,
                inspect_every_days=rng.choice([7, 15, 30]),
                lon=lon,
                lat=lat,
                source=SYN,
                now=now,
            )
            services.key_place_inspect(
                actor=None, key_place_id=place.pk, at=now - dt.timedelta(days=rng.randrange(1, 40)), now=now
            )
            n += 1
    return n


def _hazards(grids: list[Grid], rng: random.Random, now: dt.datetime) -> int:
    if Hazard.objects.filter(source=SYN).exists():
        return 0
    places = list(KeyPlace.objects.filter(source=SYN))
    n = 0
    with transaction.atomic():
        for grid in grids:
            points = _points(grid, 1, rng)
            if not points:
                continue
            lon, lat = points[0]
            found = now - dt.timedelta(days=rng.randrange(1, 80), hours=rng.randrange(0, 10))
            place = rng.choice(places) if places and rng.random() < 0.3 else None
            hazard = services.hazard_create(
                actor=None,
                title=rng.choice(HAZARDS),
                description=LABEL,
                level=HazardLevel.MAJOR if rng.random() < 0.1 else HazardLevel.GENERAL,
                key_place_id=place.pk if place else None,
                lon=None if place else lon,
                lat=None if place else lat,
                found_at=found,
                source=SYN,
                now=now,
            )
            # Walk it some way along its life: some stay found, some past their deadline.
            steps = rng.choice([0, 1, 1, 2, 3])
            plan = [
                (
                    HazardAction.ORDER,
                    "责令限期整改",
                    timezone.localdate(now) + dt.timedelta(days=rng.randrange(0, 15)),
                ),
                (HazardAction.RECTIFY, "已按要求整改", None),
                (HazardAction.CHECK_PASS, "复查合格,销号", None),
            ]
            for action, note, deadline in plan[:steps]:
                services.hazard_act(
                    actor=None, hazard_id=hazard.pk, action=action, note=note, deadline=deadline, now=now
                )
            if steps == 1 and rng.random() < 0.4:
                # Some orders are past their deadline: written as they would have been, earlier.
                Hazard.objects.filter(pk=hazard.pk).update(
                    deadline=timezone.localdate(now) - dt.timedelta(days=3)
                )
            n += 1
    return n


def _residents(city: Region, grids: list[Grid], rng: random.Random, now: dt.datetime, *, need: int) -> int:
    have = Resident.objects.filter(community__code__startswith=city.prefix).count()
    if have >= need:
        return 0
    n = 0
    serial = Resident.objects.count() + 1
    with transaction.atomic():
        while have + n < need:
            grid = grids[(have + n) % len(grids)]
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            # A generated twin of an existing number is skipped: the next serial differs.
            with contextlib.suppress(DomainError):
                services.resident_save(
                    actor=None,
                    name=name,
                    id_number=_id_number(grid.code[:6], rng, serial),
                    phone=f"13{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}",
                    kind=rng.choices(list(ResidentKind), weights=[75, 23, 2])[0],
                    community_code=grid.community.code,
                    grid_id=grid.pk,
                    note=LABEL,
                    source=SYN,
                    now=now,
                )
            serial += 1
            n += 1
    return n


def _workers(duty: GridDuty) -> dict[int, int]:
    return dict(
        GridStaff.objects.filter(duty=duty).order_by("grid_id", "user_id").values_list("grid_id", "user_id")
    )


def _key_persons(city: Region, rng: random.Random, now: dt.datetime, target: int) -> tuple[int, int]:
    have = KeyPerson.objects.filter(community__code__startswith=city.prefix).count()
    if have >= target:
        return 0, 0
    categories = list(KeyPersonCategory.objects.filter(active=True))
    workers, police = _workers(GridDuty.WORKER), _workers(GridDuty.POLICE)
    listed = set(KeyPerson.objects.values_list("resident_id", flat=True))
    candidates = list(
        Resident.objects.filter(community__code__startswith=city.prefix, grid__isnull=False)
        .exclude(pk__in=listed)
        .order_by("id")
        .values_list("id", "grid_id")[: target * 20]
    )
    rng.shuffle(candidates)
    made = visits = 0
    today = timezone.localdate(now)
    for resident_id, grid_id in candidates[: target - have]:
        with transaction.atomic():
            since = today - dt.timedelta(days=rng.randrange(30, 400))
            risk = rng.choices(list(RiskLevel), weights=[50, 35, 15])[0]
            person = services.key_person_create(
                actor=None,
                resident_id=resident_id,
                category_code=rng.choice(categories).code,
                risk_level=risk,
                reason=f"{LABEL}:依据部门推送名单列管",
                grid_worker_id=workers.get(grid_id),
                police_id=police.get(grid_id),
                since=since,
                now=now,
            )
            KeyPerson.objects.filter(pk=person.pk).update(source=SYN)
            visits += _visits(person, rng, now)
        made += 1
    return made, visits


def _visits(person: KeyPerson, rng: random.Random, now: dt.datetime) -> int:
    """Visits over the last 90 days at roughly the required pace; about one person in five
    falls behind, so the overdue lists have something to show."""
    every = (person.next_visit_due - person.since).days if person.next_visit_due else 30
    start = max(
        now - dt.timedelta(days=90), timezone.make_aware(dt.datetime.combine(person.since, dt.time(10)))
    )
    lag = rng.random() < 0.2
    at = start + dt.timedelta(days=rng.uniform(0, every))
    n = 0
    stop = now - dt.timedelta(days=every * (1.5 if lag else 0) + 1)
    while at < stop:
        services.visit_record(
            actor=person.grid_worker,
            key_person_id=person.pk,
            client_key=f"demo-{person.pk}-{n:03d}",
            visited_at=at,
            findings=rng.choice(FINDINGS),
            place="家中" if rng.random() < 0.7 else "社区服务站",
            now=now,
        )
        n += 1
        at += dt.timedelta(days=every * rng.uniform(0.6, 1.05), hours=rng.uniform(-3, 3))
    return n
