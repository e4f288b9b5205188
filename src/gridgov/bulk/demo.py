"""Demo registers: residents, addresses, houses and organizations in proportion to the seeds
(Lanzhou: 4,578,000 people, 2,729,000 addresses, 135,000 legal entities) at 1:20, or full size
with `options["full_size"]`. Synthetic (演示数据(合成)): names, ID numbers with correct check
digits, phones and points inside the city's grids are all made up here.

The rows go through the same import pipeline as a file a person uploads (written as CSV under
VAR_DIR/demo/, imported as the system with source=synthetic), so the demo also shows what an
import at city scale costs. Idempotent: a register already holding its synthetic rows is left
alone, and an interrupted seeding resumes its unfinished jobs.
"""

from __future__ import annotations

import csv
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.conf import settings

from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import ImportMode, JobStatus, RegisterKind
from gridgov.bulk.models import ImportJob
from gridgov.bulk.pipeline import import_job_run
from gridgov.bulk.services import import_job_create, import_job_resumable
from gridgov.geo.models import Grid, Region
from gridgov.registry.enums import DataSource
from gridgov.registry.models import Address, House, Organization, Resident
from gridgov.registry.validators import id_check_char, usc_check_char

LABEL = "演示数据(合成)"
# Lanzhou's registers in the seeds.
PEOPLE, ADDRESSES, ENTITIES = 4_578_000, 2_729_000, 135_000
SCALE = 20
ROADS = [
    "张掖路",
    "庆阳路",
    "酒泉路",
    "中山路",
    "南昌路",
    "天水路",
    "西津路",
    "安宁路",
    "民主路",
    "皋兰路",
    "白银路",
    "定西路",
    "武都路",
    "金昌路",
    "永昌路",
    "秦安路",
    "静宁路",
    "临夏路",
    "甘南路",
    "雁滩路",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国红梅志强海燕晓东春雨婷浩宇欣怡子涵梓萱"
SHOPS = [
    "商贸有限公司",
    "餐饮店",
    "便利店",
    "建材经营部",
    "科技有限公司",
    "物业管理有限公司",
    "药店",
    "理发店",
]
USC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _name(rng: random.Random) -> str:
    return SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]


def _points(n: int, rng: np.random.Generator) -> list[tuple[float, float, str]]:
    """n points inside the city's grids, each grid's share by its estimated population."""
    grids = list(Grid.objects.values_list("boundary", "community__code", "population"))
    if not grids:
        return []
    weights = np.array([max(1, p) for _, _, p in grids], dtype=np.float64)
    counts = rng.multinomial(n, weights / weights.sum())
    out: list[tuple[float, float, str]] = []
    for (boundary, code, _), k in zip(grids, counts.tolist(), strict=True):
        if not k:
            continue
        g = shapely.geometry.shape(boundary)
        x0, y0, x1, y1 = g.bounds
        got: list[tuple[float, float]] = []
        while len(got) < k:
            # Rounded before the test: a point written with 6 decimals must still lie inside.
            xs, ys = rng.uniform(x0, x1, k * 3 + 8).round(6), rng.uniform(y0, y1, k * 3 + 8).round(6)
            inside = shapely.contains_xy(g, xs, ys)
            got.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
        out.extend((x, y, code) for x, y in got[:k])
    return out


def synth_files(
    folder: Path, *, people: int, addresses: int, entities: int, seed: int = 20_261_121
) -> dict[RegisterKind, Path]:
    """CSV files of the four registers, as a person would fill the templates."""
    rng = random.Random(seed)
    points = _points(addresses, np.random.default_rng(seed))
    rng.shuffle(points)
    folder.mkdir(parents=True, exist_ok=True)
    files = {k: folder / f"{k.value}-{people}.csv" for k in RegisterKind}

    def writer(kind: RegisterKind, fh: Any) -> Any:
        w = csv.writer(fh)
        w.writerow([c.header for c in columns_for(kind)])
        return w

    seen: set[str] = set()
    per_address = people / max(1, len(points))
    with (
        open(files[RegisterKind.RESIDENTS], "w", newline="", encoding="utf-8") as rf,
        open(files[RegisterKind.ADDRESSES], "w", newline="", encoding="utf-8") as af,
        open(files[RegisterKind.HOUSES], "w", newline="", encoding="utf-8") as hf,
    ):
        rw, aw, hw = (
            writer(RegisterKind.RESIDENTS, rf),
            writer(RegisterKind.ADDRESSES, af),
            writer(RegisterKind.HOUSES, hf),
        )
        made = 0
        for i, (lon, lat, code) in enumerate(points):
            road = ROADS[rng.randrange(len(ROADS))]
            place = [
                code,
                road,
                str(rng.randint(1, 300)),
                str(rng.randint(1, 30)),
                str(1 + i % 4),
                str(101 + i % 2300),
            ]
            place += [f"{lon}", f"{lat}"]
            aw.writerow(place)
            vacant = rng.random() < 0.08
            hw.writerow(
                [
                    *place,
                    "空置" if vacant else rng.choice(("自住", "自住", "自住", "出租", "商用")),
                    rng.choice(("私有产权", "私有产权", "公有产权", "单位产权")),
                    f"{rng.uniform(35, 160):.1f}",
                ]
            )
            # People per address: the seeds' mean, spread 0-4.
            want = round((i + 1) * per_address) - made if not vacant else 0
            household = f"{code}{i:08d}"
            for member in range(max(0, min(want, people - made))):
                while True:
                    body = (
                        f"{code[:6]}{rng.randint(1940, 2022)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                    )
                    body += f"{rng.randint(0, 999):03d}"
                    if body not in seen:
                        seen.add(body)
                        break
                rw.writerow(
                    [
                        SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                        body + id_check_char(body),
                        f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                        "户籍人口" if rng.random() < 0.78 else "流动人口",
                        household,
                        "户主" if member == 0 else rng.choice(("配偶", "子女", "父母", "其他")),
                        *place,
                    ]
                )
                made += 1
    with open(files[RegisterKind.ORGANIZATIONS], "w", newline="", encoding="utf-8") as of:
        ow = writer(RegisterKind.ORGANIZATIONS, of)
        codes: set[str] = set()
        for i in range(entities):
            lon, lat, code = points[rng.randrange(len(points))] if points else (0.0, 0.0, "")
            while True:
                body = "9" + rng.choice("123") + code[:6] + "".join(rng.choice(USC) for _ in range(9))
                if body not in codes:
                    codes.add(body)
                    break
            kind = rng.choice(("企业", "企业", "个体工商户", "个体工商户", "社会组织", "学校", "医疗机构"))
            ow.writerow(
                [
                    body + usc_check_char(body),
                    f"兰州{_name(rng)}{SHOPS[i % len(SHOPS)]}",
                    kind,
                    SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                    f"0931{rng.randint(0, 9_999_999):07d}",
                    code,
                    ROADS[rng.randrange(len(ROADS))],
                    str(rng.randint(1, 300)),
                    "",
                    "",
                    "",
                    f"{lon}",
                    f"{lat}",
                ]
            )
    return files


def _import(kind: RegisterKind, path: Path, *, now: datetime, out: Any) -> ImportJob:
    job = import_job_resumable(actor=None, register=kind, mode=ImportMode.VALID_ROWS, path=path)
    if job is None:
        job = import_job_create(
            actor=None,
            register=kind,
            mode=ImportMode.VALID_ROWS,
            now=now,
            path=path,
            batch_size=20_000,
            source=DataSource.SYNTHETIC,
        )
    last = [0.0]

    def progress(j: ImportJob) -> None:
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            out.write(f"  {kind.label}:{j.imported_rows + j.error_rows}/{j.total_rows} 行")

    return import_job_run(job, progress=progress)


def seed_demo(*, city: Region, now: datetime, out: Any, options: dict[str, Any]) -> list[str]:
    # registers_scale: a smaller demo (the tests use 1:20000).
    scale = 1 if options.get("full_size") else int(options.get("registers_scale") or SCALE)
    people, addresses, entities = PEOPLE // scale, ADDRESSES // scale, ENTITIES // scale
    have = Resident.objects.filter(source=DataSource.SYNTHETIC).count()
    unfinished = ImportJob.objects.filter(
        actor=None, source=DataSource.SYNTHETIC, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).exists()
    if have >= people * 0.95 and not unfinished:
        return [f"登记簿{LABEL}:实有人口 {have:,} 人(已有,未重复生成)"]
    started = time.monotonic()
    out.write(f"生成登记簿{LABEL}:人口 {people:,}、地址 {addresses:,}、单位 {entities:,}(1:{scale})…")
    folder = Path(settings.VAR_DIR) / "demo"
    files = synth_files(folder, people=people, addresses=addresses, entities=entities)
    jobs = {}
    for kind in (
        RegisterKind.ADDRESSES,
        RegisterKind.RESIDENTS,
        RegisterKind.HOUSES,
        RegisterKind.ORGANIZATIONS,
    ):
        jobs[kind] = _import(kind, files[kind], now=now, out=out)
    took = time.monotonic() - started
    out.write(f"登记簿演示数据导入完成,用时 {took:.0f} 秒")
    return [
        f"登记簿{LABEL}(1:{scale}):实有人口 {Resident.objects.count():,}、"
        f"标准地址 {Address.objects.count():,}、"
        f"实有房屋 {House.objects.count():,}、实有单位 {Organization.objects.count():,};"
        f"经批量导入管道写入,用时 {took:.0f} 秒"
    ]
