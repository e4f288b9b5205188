"""Demo accounts for an imported city: a centre at every level, about forty departments, and a
user for every role at every level that matters, with usernames one can guess and type.

Usernames (all demo users share one password):
  city_admin, city_leader, city_dispatcher, city_analyst   the city centre
  <county code>_leader|_dispatcher|_analyst|_mediator      each county, e.g. 620102_leader
  <township code>_dispatcher|_leader                       each township, e.g. 620102001_dispatcher
  <community code>_head                                    the grid head of each community
  <community code>_dispatcher                              the duty desk of each community centre
  hh_<region code>_<bureau>                                a handler per department, e.g. hh_620102_zjj
  gw_<grid code>                                           the grid worker of each grid
  po_<community code>_<n>                                  a police officer per few grids of a community

Running it again adds only what is missing: existing centres, departments, users and duties are
kept as they are (a changed password included), so it is safe to run on every start.
"""

from __future__ import annotations

import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.accounts.services import center_default_name, password_check
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region

BATCH = 1000
GRIDS_PER_POLICE = 4

# (code suffix, full name, short name). The city has all of them; each county its own few.
CITY_BUREAUS = [
    ("ZJJ", "住房和城乡建设局", "住建局"),
    ("CGJ", "城市管理局", "城管局"),
    ("RSJ", "人力资源和社会保障局", "人社局"),
    ("SCJGJ", "市场监督管理局", "市场监管局"),
    ("STHJJ", "生态环境局", "生态环境局"),
    ("JTYSJ", "交通运输局", "交通运输局"),
    ("JYJ", "教育局", "教育局"),
    ("WJW", "卫生健康委员会", "卫健委"),
    ("MZJ", "民政局", "民政局"),
    ("NYNCJ", "农业农村局", "农业农村局"),
    ("GAJ", "公安局", "公安局"),
    ("XFJ", "信访局", "信访局"),
    ("SFJ", "司法局", "司法局"),
    ("YJGLJ", "应急管理局", "应急管理局"),
    ("SWJ", "水务局", "水务局"),
    ("ZRZYJ", "自然资源局", "自然资源局"),
]
COUNTY_BUREAUS = [
    ("ZJJ", "住房和城乡建设局", "住建局"),
    ("CGJ", "城市管理局", "城管局"),
    ("SCJGJ", "市场监督管理局", "市场监管局"),
]
# Demo people get plausible names, derived from the username so that every run agrees.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志红梅海燕文斌宇浩凯晨瑞欣怡佳琳"
CITY_ROLES = [Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.ANALYST]
COUNTY_ROLES = [Role.LEADER, Role.DISPATCHER, Role.ANALYST, Role.MEDIATOR]
TOWNSHIP_ROLES = [Role.DISPATCHER, Role.LEADER]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    description: str


@dataclass
class _Plan:
    username: str
    role: Role
    center_region: int | None = None
    department_code: str | None = None
    admin: bool = False


def _say(out: Any, text: str) -> None:
    if out is not None:
        out.write(text)


def _centres(regions: list[Region]) -> dict[int, Center]:
    existing = {c.region_id: c for c in Center.objects.filter(region__in=regions)}
    missing = [Center(region=r, name=center_default_name(r)) for r in regions if r.pk not in existing]
    Center.objects.bulk_create(missing, batch_size=BATCH)
    return {c.region_id: c for c in Center.objects.filter(region__in=regions)}


def _departments(city: Region, counties: list[Region]) -> dict[str, Department]:
    wanted = [(city, suffix, full, short) for suffix, full, short in CITY_BUREAUS]
    wanted += [(county, suffix, full, short) for county in counties for suffix, full, short in COUNTY_BUREAUS]
    rows = {
        f"{region.code}-{suffix}": Department(
            region=region, code=f"{region.code}-{suffix}", name=f"{region.name}{full}", short_name=short
        )
        for region, suffix, full, short in wanted
    }
    existing = set(Department.objects.filter(code__in=rows).values_list("code", flat=True))
    Department.objects.bulk_create([d for code, d in rows.items() if code not in existing], batch_size=BATCH)
    return {d.code: d for d in Department.objects.filter(code__in=rows)}


def _person_name(username: str) -> str:
    n = zlib.crc32(username.encode())
    surname = SURNAMES[n % len(SURNAMES)]
    n //= len(SURNAMES)
    given = GIVEN[n % len(GIVEN)]
    n //= len(GIVEN)
    # About half of the names get a second given character, as in life.
    return surname + given + (GIVEN[(n // 2) % len(GIVEN)] if n % 2 else "")


def _handler_username(code: str) -> str:
    region_code, suffix = code.split("-", 1)
    return f"hh_{region_code}_{suffix.lower()}"


@transaction.atomic
def demo_phone(username: str) -> str:
    """A synthetic mobile number per demo user (演示数据(合成)): 199 0 and seven digits from the
    username, the same on every run."""
    return f"1990{zlib.crc32(username.encode()) % 10_000_000:07d}"


def _phones_for_older_demo_users(usernames: set[str]) -> None:
    """Demo users made before users had phones get theirs (a rerun of the demo adds them)."""
    field = User._meta.get_field("phone")
    missing = list(User.objects.filter(username__in=usernames, phone_index="").only("id", "username"))
    for user in missing:
        user.phone = demo_phone(user.username)
        user.phone_index = field.index_for(user.phone)
    User.objects.bulk_update(missing, ["phone", "phone_index"], batch_size=BATCH)


def seed_demo_accounts(*, city: Region, password: str, out: Any = None) -> list[DemoLogin]:
    started = time.monotonic()
    password_check(password=password)
    fields = ("id", "code", "name", "level", "parent_id", "prefix")
    regions = list(Region.objects.filter(code__startswith=city.prefix).only(*fields).order_by("code"))
    by_level: dict[str, list[Region]] = defaultdict(list)
    for region in regions:
        by_level[region.level].append(region)
    counties, townships = by_level[RegionLevel.COUNTY], by_level[RegionLevel.TOWNSHIP]
    communities = by_level[RegionLevel.COMMUNITY]
    grids = list(
        Grid.objects.filter(code__startswith=city.prefix)
        .only("id", "code", "name", "community_id")
        .order_by("code")
    )
    grids_of: dict[int, list[Grid]] = defaultdict(list)
    for grid in grids:
        grids_of[grid.community_id].append(grid)

    centres = _centres(regions)
    departments = _departments(city, counties)

    plans: list[_Plan] = []
    for role in CITY_ROLES:
        plans.append(_Plan(f"city_{role.value}", role, city.pk, admin=role == Role.ADMIN))
    for level_regions, roles in ((counties, COUNTY_ROLES), (townships, TOWNSHIP_ROLES)):
        for region in level_regions:
            for role in roles:
                plans.append(_Plan(f"{region.code}_{role.value}", role, region.pk))
    for community in communities:
        plans.append(_Plan(f"{community.code}_head", Role.GRID_HEAD, community.pk))
        # The community's desk (村社级指挥中心 duty staff): accepts and registers the cases that
        # start at community level (小事不出村).
        plans.append(_Plan(f"{community.code}_dispatcher", Role.DISPATCHER, community.pk))
    for code in departments:
        plans.append(_Plan(_handler_username(code), Role.HANDLER, department_code=code))
    police_beats: dict[str, list[Grid]] = {}
    for community in communities:
        own = grids_of.get(community.pk, [])
        for n, start in enumerate(range(0, len(own), GRIDS_PER_POLICE), start=1):
            username = f"po_{community.code}_{n}"
            police_beats[username] = own[start : start + GRIDS_PER_POLICE]
            plans.append(_Plan(username, Role.POLICE, community.pk))
        for grid in own:
            plans.append(_Plan(f"gw_{grid.code}", Role.GRID_WORKER, community.pk))

    # Argon2 is slow on purpose (tens of milliseconds and ~100 MB per hash). Thousands of demo
    # users hashed one by one would take minutes, so the one demo password is hashed once and
    # the same encoded hash is given to all of them; each still verifies as a normal password.
    encoded = make_password(password)
    taken = set(User.objects.values_list("username", flat=True))
    new_users = [
        User(
            username=p.username,
            role=p.role,
            display_name=_person_name(p.username),
            password=encoded,
            center=centres[p.center_region] if p.center_region else None,
            department=departments[p.department_code] if p.department_code else None,
            is_staff=p.admin,
            is_superuser=p.admin,
            phone=demo_phone(p.username),
        )
        for p in plans
        if p.username not in taken
    ]
    User.objects.bulk_create(new_users, batch_size=BATCH)
    _phones_for_older_demo_users({p.username for p in plans} & taken)
    staff = Q(username__startswith=f"gw_{city.prefix}") | Q(username__startswith=f"po_{city.prefix}")
    staff |= Q(username__startswith=city.prefix, username__endswith="_head")
    user_ids = dict(User.objects.filter(staff).values_list("username", "id"))

    duties: list[GridStaff] = []
    for grid in grids:
        duties.append(GridStaff(grid=grid, user_id=user_ids[f"gw_{grid.code}"], duty=GridDuty.WORKER))
    for community in communities:
        head = user_ids.get(f"{community.code}_head")
        if head:
            duties += [
                GridStaff(grid=g, user_id=head, duty=GridDuty.HEAD) for g in grids_of.get(community.pk, [])
            ]
    for username, beat in police_beats.items():
        duties += [GridStaff(grid=g, user_id=user_ids[username], duty=GridDuty.POLICE) for g in beat]
    # The unique (grid, user, duty) constraint makes a second run add nothing.
    GridStaff.objects.bulk_create(duties, batch_size=BATCH, ignore_conflicts=True)

    _say(
        out,
        f"演示账号 / demo accounts: {len(centres)} 个指挥中心, {len(departments)} 个职能部门, "
        f"新建 {len(new_users)} 个用户(共 {len(plans)} 个), {len(duties)} 条网格职责 "
        f"({time.monotonic() - started:.1f} s)",
    )
    return _representatives(
        city, counties, townships, communities, grids_of, police_beats, departments, centres
    )


def _representatives(
    city: Region,
    counties: list[Region],
    townships: list[Region],
    communities: list[Region],
    grids_of: dict[int, list[Grid]],
    police_beats: dict[str, list[Grid]],
    departments: dict[str, Department],
    centres: dict[int, Center],
) -> list[DemoLogin]:
    """One login per role at the level where it shows the most: the city admin and analyst,
    the first county's leader and mediator, a township dispatcher, and the people of the first
    community of that county (its grid head, a grid worker, the police officer of the beat)."""
    logins = [
        DemoLogin("city_admin", Role.ADMIN, f"{Role.ADMIN.label} · {centres[city.pk]} (配置管理 /admin/)")
    ]
    county = counties[0] if counties else None
    if county is not None:
        logins.append(
            DemoLogin(f"{county.code}_leader", Role.LEADER, f"{Role.LEADER.label} · {centres[county.pk]}")
        )
    township = next((t for t in townships if county is None or t.parent_id == county.pk), None)
    if township is not None:
        logins.append(
            DemoLogin(
                f"{township.code}_dispatcher",
                Role.DISPATCHER,
                f"{Role.DISPATCHER.label} · {centres[township.pk]}",
            )
        )
    logins.append(DemoLogin("city_analyst", Role.ANALYST, f"{Role.ANALYST.label} · {centres[city.pk]}"))
    housing = departments.get(f"{county.code}-ZJJ") if county else None
    housing = housing or departments.get(f"{city.code}-ZJJ")
    if housing is not None:
        logins.append(
            DemoLogin(_handler_username(housing.code), Role.HANDLER, f"{Role.HANDLER.label} · {housing.name}")
        )
    prefix = county.code if county else city.prefix
    community = next((c for c in communities if c.code.startswith(prefix) and grids_of.get(c.pk)), None)
    if community is not None:
        grid = grids_of[community.pk][0]
        unit = centres[community.pk]
        logins.append(DemoLogin(f"{community.code}_head", Role.GRID_HEAD, f"{Role.GRID_HEAD.label} · {unit}"))
        logins.append(
            DemoLogin(f"gw_{grid.code}", Role.GRID_WORKER, f"{Role.GRID_WORKER.label} · {unit} · {grid.name}")
        )
        logins.append(DemoLogin(f"po_{community.code}_1", Role.POLICE, f"{Role.POLICE.label} · {unit}"))
    if county is not None:
        logins.append(
            DemoLogin(
                f"{county.code}_mediator", Role.MEDIATOR, f"{Role.MEDIATOR.label} · {centres[county.pk]}"
            )
        )
    return logins
