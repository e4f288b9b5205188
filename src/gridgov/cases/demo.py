"""Demo cases: a few thousand synthetic cases over the last 90 days, made by the real services
(`case_create`, `case_act`, `case_clock_tick`) acting as the demo users of accounts/demo.py at
the moments the story says, so every event, deadline, colour and sheet is what the platform
itself would have produced. Nothing is inserted behind the state machine's back.

One engine (`Engine.step`) decides a case's next act from its status and facts, with the odds of
the rarer turns (rejection, suspension, extension, assist, return, escalation, failed check,
unsatisfied rating); `seed_demo_cases` runs it over the past, `gridgov cases simulate` live.

Every demo case is labelled synthetic twice: `external_refs["synthetic"]` (the API and the
case page show external references) and "【演示数据(合成)】" at the end of its description.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.cases import demo_texts as texts
from gridgov.cases.enums import (
    FINAL_STATUSES,
    CaseAction,
    CaseStatus,
    Channel,
    ExtensionStatus,
    NoticeKind,
    PartStatus,
    PauseKind,
    Rating,
    Urgency,
)
from gridgov.cases.models import Case, CasePart, Category, IdempotencyKey, Notice
from gridgov.cases.services import ActParams, CaseDraft, case_act, case_clock_tick, case_create
from gridgov.core.errors import DomainError
from gridgov.core.housekeeping import database_optimize
from gridgov.geo.enums import Crs, GridKind, RegionLevel
from gridgov.geo.models import Grid, Region
from gridgov.sla.enums import Colour, DurationUnit

A, S, L = CaseAction, CaseStatus, RegionLevel
SYNTHETIC_REF = "synthetic"
DAYS = 90
BATCH = 20  # cases per transaction while seeding: fewer commits, same services

# Which bureau (suffix of the department code, accounts/demo.py) handles a category. A county
# has only 住建/城管/市场监管; anything else at county level is escalated to the city.
BUREAU_BY_PARENT = {
    "01": "ZJJ", "02": "STHJJ", "03": "JTYSJ", "04": "RSJ", "05": "JYJ", "06": "WJW", "07": "SCJGJ",
    "08": "MZJ", "09": "NYNCJ", "10": "SCJGJ", "11": "SFJ", "20": "CGJ", "21": "CGJ", "99": "XFJ",
}  # fmt: skip
BUREAU_BY_CODE = {
    "0104": "ZJJ", "0201": "CGJ", "0202": "STHJJ", "0204": "CGJ", "0301": "CGJ", "0304": "GAJ",
    "0305": "CGJ", "0603": "SCJGJ", "0902": "ZRZYJ", "1103": "ZJJ", "1104": "ZRZYJ", "1105": "GAJ",
    "1106": "YJGLJ", "2007": "SWJ", "2103": "YJGLJ", "9903": "CGJ",
}  # fmt: skip
CHANNEL_WEIGHTS = {
    Channel.HOTLINE_12345: 32, Channel.CITIZEN_APP: 12, Channel.GRID_WORKER: 24, Channel.POLICE_110: 5,
    Channel.PETITION: 4, Channel.MEDIATION: 4, Channel.SENSOR: 6, Channel.LEADER: 3,
    Channel.UPPER_TRANSFER: 4, Channel.WALK_IN: 6,
}  # fmt: skip
# Where each channel comes in: (level of the receiving desk, weight).
INTAKE_AT = {
    Channel.HOTLINE_12345: ((L.CITY, 7), (L.COUNTY, 3)),
    Channel.CITIZEN_APP: ((L.CITY, 5), (L.COUNTY, 5)),
    Channel.SENSOR: ((L.CITY, 4), (L.COUNTY, 6)),
    Channel.GRID_WORKER: ((L.COMMUNITY, 1),),
    Channel.POLICE_110: ((L.COUNTY, 1),),
    Channel.PETITION: ((L.COUNTY, 1),),
    Channel.UPPER_TRANSFER: ((L.COUNTY, 1),),
    Channel.LEADER: ((L.COUNTY, 7), (L.CITY, 3)),
    Channel.MEDIATION: ((L.TOWNSHIP, 1),),
    Channel.WALK_IN: ((L.TOWNSHIP, 1),),
}
# How long the next act usually waits, in minutes (low, high), by the status it starts from.
WAIT = {
    S.RECEIVED: (5, 90), S.ACCEPTED: (20, 300), S.VERIFIED: (10, 120), S.REGISTERED: (10, 150),
    S.DISPATCHED: (20, 300), S.HANDLING: (120, 2400), S.REPORTED: (60, 600), S.CHECKED: (10, 180),
    S.CLOSED: (240, 4000), S.SUSPENDED: (2 * 1440, 20 * 1440),
}  # fmt: skip


def _say(out: Any, text: str) -> None:
    if out is not None:
        out.write(text)


def bureau_for(code: str) -> str:
    return BUREAU_BY_CODE.get(code) or BUREAU_BY_PARENT.get(code[:2], "XFJ")


@dataclass
class Cast:
    """The demo city's people and units, read once: who plays which part in a case's story."""

    city: Region
    regions: dict[int, Region]
    region_by_code: dict[str, Region]
    centers: dict[int, Center]  # by region id
    center_region: dict[int, int]  # centre id → region id
    desk: dict[int, User]  # centre id → its dispatcher (or leader)
    leader: dict[int, User]  # centre id → its leader
    departments: dict[int, dict[str, Department]]  # region id → suffix → department
    department_by_id: dict[int, Department]
    handler: dict[int, User]  # department id → handler
    on_grid: dict[int, User]  # grid id → its grid worker (or grid head)
    category_code: dict[int, str]
    grids: list[Grid]
    _shapes: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, city: Region) -> Cast:
        fields = ("id", "code", "name", "level", "parent_id", "prefix")
        regions = {r.pk: r for r in Region.objects.filter(code__startswith=city.prefix).only(*fields)}
        centers = {
            c.region_id: c
            for c in Center.objects.filter(region_id__in=regions)
            .select_related("region")
            .defer("region__boundary")
        }
        center_region = {c.pk: rid for rid, c in centers.items()}
        leader: dict[int, User] = {}
        dispatcher: dict[int, User] = {}
        users = User.objects.filter(is_active=True, center_id__in=center_region).order_by("username")
        for user in users.filter(role__in=[Role.DISPATCHER, Role.LEADER]):
            if user.center_id is not None:
                (leader if user.role == Role.LEADER else dispatcher).setdefault(user.center_id, user)
        desk = {**leader, **dispatcher}  # the dispatcher's work; a leader where there is none
        depts: dict[int, dict[str, Department]] = defaultdict(dict)
        dept_by_id = {}
        for d in Department.objects.filter(region_id__in=regions).order_by("code"):
            depts[d.region_id].setdefault(d.code.split("-", 1)[-1], d)
            dept_by_id[d.pk] = d
        handler: dict[int, User] = {}
        for user in User.objects.filter(
            is_active=True, role=Role.HANDLER, department_id__in=dept_by_id
        ).order_by("username"):
            if user.department_id is not None:
                handler.setdefault(user.department_id, user)
        on_grid: dict[int, User] = {}
        staff = (
            GridStaff.objects.filter(
                grid__community_id__in=regions, duty__in=[GridDuty.WORKER, GridDuty.HEAD]
            )
            .select_related("user")
            .order_by("duty", "user__username")  # "head" < "worker": workers overwrite heads
        )
        for row in staff:
            if row.user.is_active:
                on_grid[row.grid_id] = row.user
        grids = list(
            Grid.objects.filter(community_id__in=regions)
            .only("id", "code", "name", "kind", "community_id")
            .order_by("code")
        )
        return cls(
            city=city,
            regions=regions,
            region_by_code={r.code: r for r in regions.values()},
            centers=centers,
            center_region=center_region,
            desk=desk,
            leader=leader,
            departments=depts,
            department_by_id=dept_by_id,
            handler=handler,
            on_grid=on_grid,
            category_code=dict(Category.objects.values_list("id", "code")),
            grids=grids,
        )

    # --- places -------------------------------------------------------------------------------
    def ancestor(self, region_id: int, level: RegionLevel) -> Region | None:
        node: Region | None = self.regions.get(region_id)
        while node is not None and node.level != level:
            node = self.regions.get(node.parent_id) if node.parent_id else None
        return node

    def point_in(self, grid: Grid, rng: random.Random) -> tuple[float, float]:
        shape = self._shapes.get(grid.pk)
        if shape is None:
            boundary = Grid.objects.filter(pk=grid.pk).values_list("boundary", flat=True).get()
            shape = self._shapes[grid.pk] = shapely.from_geojson(json.dumps(boundary))
            shapely.prepare(shape)
        x0, y0, x1, y1 = shapely.bounds(shape)
        for _ in range(30):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(shape, x, y):
                return round(x, 6), round(y, 6)
        p = shapely.point_on_surface(shape)
        return round(p.x, 6), round(p.y, 6)

    # --- people -------------------------------------------------------------------------------
    def desk_of(self, center_id: int) -> User | None:
        return self.desk.get(center_id)

    def desk_at(self, region: Region | None) -> User | None:
        center = self.centers.get(region.pk) if region is not None else None
        return self.desk.get(center.pk) if center is not None else None

    def leader_above(self, center_id: int) -> User | None:
        """The leader of the centre, or of the nearest centre above it that has one."""
        region_id: int | None = self.center_region.get(center_id)
        while region_id is not None:
            center = self.centers.get(region_id)
            if center is not None and center.pk in self.leader:
                return self.leader[center.pk]
            region_id = self.regions[region_id].parent_id if region_id in self.regions else None
        return None

    def on_site(self, case: Case) -> User | None:
        return (self.on_grid.get(case.grid_id) if case.grid_id else None) or self.desk.get(
            case.owner_center_id
        )

    def department_for(self, case: Case) -> Department | None:
        region_id = self.center_region[case.owner_center_id]
        return self.departments.get(region_id, {}).get(bureau_for(self.category_code[case.category_id]))

    def other_departments(self, case: Case, but: set[int | None]) -> list[Department]:
        region_id = self.center_region[case.owner_center_id]
        return [
            d
            for d in self.departments.get(region_id, {}).values()
            if d.pk not in but and d.pk in self.handler
        ]


class OutOfTime(Exception):
    pass


@dataclass
class Engine:
    cast: Cast
    out: Any = None
    verbose: bool = False
    acts: int = 0
    ticks: int = 0
    eager: bool = False  # no detours: contact at once, no suspension, assist or extension
    problems: int = 0

    # --- intake -------------------------------------------------------------------------------
    def intake_desk(self, channel: Channel, grid: Grid, rng: random.Random) -> User | None:
        options = INTAKE_AT[channel]
        level = rng.choices([lv for lv, _ in options], weights=[w for _, w in options])[0]
        community = self.cast.regions[grid.community_id]
        if level == L.COMMUNITY:
            # A grid worker reports from the grid. Where the community has no desk to accept
            # it, most reports are entered by the township's desk instead (see docs/demo.md).
            if self.cast.desk_at(community) is not None or rng.random() < 0.15:
                return self.cast.on_grid.get(grid.pk) or self.cast.desk_at(
                    self.cast.ancestor(community.pk, L.TOWNSHIP)
                )
            level = L.TOWNSHIP
        region = community if level == L.COMMUNITY else self.cast.ancestor(community.pk, level)
        if channel == Channel.LEADER:
            center = self.cast.centers.get(region.pk) if region else None
            user = self.cast.leader.get(center.pk) if center else None
            if user is not None:
                return user
        return self.cast.desk_at(region)

    def create(
        self,
        *,
        rng: random.Random,
        at: datetime,
        key: str,
        grid: Grid | None = None,
        channel: Channel | None = None,
        like: Case | None = None,
        ref: str = "",
    ) -> Case | None:
        """One new case through case_create; `like` makes a second report of the same matter."""
        if like is not None:
            grid = next((g for g in self.cast.grids if g.pk == like.grid_id), None)
        grid = grid or rng.choice(self.cast.grids)
        channel = channel or rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        actor = like.created_by if like is not None else self.intake_desk(channel, grid, rng)
        if actor is None:
            return None
        community = self.cast.regions[grid.community_id]
        rural = grid.kind == GridKind.RURAL
        if like is not None:
            code = self.cast.category_code[like.category_id]
            title = like.title
            description = (
                "另一位" + like.description.removesuffix(texts.SYNTHETIC_NOTE) + texts.SYNTHETIC_NOTE
            )
            address = like.address
            lon, lat = like.lon, like.lat
        else:
            code = texts.category_codes(rng, rural=rural)
            title, description, slots = texts.case_text(code, rng, place=community.name, rural=rural, at=at)
            address = texts.address(slots, rng)
            lon, lat = self.cast.point_in(grid, rng)
        name, phone = texts.reporter(rng)
        anonymous = channel in (Channel.SENSOR,) or rng.random() < 0.08
        if channel in (Channel.SENSOR, Channel.GRID_WORKER, Channel.LEADER, Channel.UPPER_TRANSFER):
            name = phone = ""
        if anonymous:
            name = phone = ""
        urgency = rng.choices(list(Urgency), weights=[88, 10, 2])[0]
        refs = {SYNTHETIC_REF: ref or key}
        if channel == Channel.HOTLINE_12345:
            refs["12345"] = f"GS12345-{at:%Y%m%d}-{rng.randrange(10**5):05d}"
        draft = CaseDraft(
            channel=channel,
            category_code=code,
            title=title,
            description=description,
            urgency=urgency,
            lon=lon,
            lat=lat,
            crs=Crs.WGS84,
            address=address[:200],
            reporter_name=name,
            reporter_phone=phone,
            reporter_anonymous=anonymous,
            external_refs=refs,
        )
        case, _ = case_create(actor=actor, draft=draft, idempotency_key=key, now=at)
        self._log(at, case, "create", actor)
        return case

    # --- acts ---------------------------------------------------------------------------------
    def _log(self, at: datetime, case: Case, what: str, actor: Any) -> None:
        if self.verbose:
            who = getattr(actor, "username", "system")
            _say(
                self.out,
                f"{timezone.localtime(at):%Y-%m-%d %H:%M} {case.number} {what} → {case.status} ({who})"
                f" {case.colour}",
            )

    def act(self, case: Case, actor: User | None, action: CaseAction, at: datetime, **params: Any) -> Case:
        if actor is None:  # the callers pick someone first; a cast without that person is a bug
            raise ValueError(f"nobody to {action.value} case {case.number}")
        case = case_act(actor=actor, number=case.number, action=action, params=ActParams(**params), now=at)
        self.acts += 1
        self._log(at, case, action.value, actor)
        return case

    def tick(self, case: Case, until: datetime) -> Case:
        """What the deadline worker would have done before `until`: turn yellow, then red."""
        for _ in range(3):
            if not case.is_open or case.status == S.SUSPENDED:
                break
            if case.colour == Colour.GREEN and case.yellow_at:
                moment = case.yellow_at
            elif case.colour in (Colour.GREEN, Colour.YELLOW) and case.due_at:
                moment = case.due_at
            else:
                break
            moment = max(moment, case.updated_at) + timedelta(minutes=1)
            if moment > until:
                break
            changed = case_clock_tick(number=case.number, now=moment)
            if changed is None:
                break
            self.ticks += 1
            self._log(moment, changed, "recolour", None)
            case = changed
        return case

    def step(self, case: Case, at: datetime, rng: random.Random) -> Case | None:
        """Do the case's next act at `at`, as the person whose turn it is. None: nothing to do
        (a final status, or nobody in the demo can take the next act)."""
        c = self.cast
        status = S(case.status)
        desk = c.desk_of(case.owner_center_id)
        if status in FINAL_STATUSES:
            return None
        if status == S.SUSPENDED:
            return self.act(case, desk, A.RESUME, at, note="条件具备,恢复办理") if desk else None
        if desk is None:
            return None  # e.g. a community without a desk: the report waits there
        # Now and then a case is suspended for a while (once in its life).
        if (
            status not in (S.RECEIVED, S.CLOSED)
            and not self.eager
            and rng.random() < 0.012
            and not case.pauses.filter(kind=PauseKind.SUSPENSION).exists()
        ):
            return self.act(case, desk, A.SUSPEND, at, reason=rng.choice(texts.SUSPEND_REASONS))
        code = c.category_code[case.category_id]
        if status == S.RECEIVED:
            if rng.random() < 0.04 and not self.eager:
                return self.act(case, desk, A.REJECT, at, reason=rng.choice(texts.REJECT_REASONS))
            return self.act(case, desk, A.ACCEPT, at)
        if (
            case.contacted_at is None
            and status in (S.ACCEPTED, S.VERIFIED, S.REGISTERED)
            and rng.random() < 0.75
        ):
            return self.act(case, desk, A.CONTACT, at, note=rng.choice(texts.CONTACT_NOTES))
        if status == S.ACCEPTED:
            county = c.region_by_code.get(case.territory_code[:6])
            local = county is not None and bureau_for(code) in c.departments.get(county.pk, {})
            if case.level == L.CITY and county is not None and rng.random() < (0.7 if local else 0.1):
                return self.act(
                    case, desk, A.SEND_DOWN, at, region_code=county.code, note=texts.SEND_DOWN_NOTES
                )
            person = c.on_site(case)
            return self.act(case, person, A.VERIFY, at, note="现场核实情况属实") if person else None
        if status == S.VERIFIED:
            return self.act(case, desk, A.REGISTER, at)
        if status == S.REGISTERED:
            dept = c.department_for(case)
            if case.level in (L.COMMUNITY, L.TOWNSHIP) or (
                case.level == L.COUNTY and (dept is None or rng.random() < 0.04)
            ):
                reason = texts.ESCALATE_REASONS[2 if case.level == L.COUNTY else 0]
                return self.act(case, desk, A.ESCALATE, at, reason=reason)
            if dept is None:
                return None
            if rng.random() < 0.04 and case.redo_count == 0 and not self.eager:
                wrong = c.other_departments(case, {dept.pk})
                if wrong and not case.events.filter(action=A.RETURN).exists():
                    dept = rng.choice(wrong)
            return self.act(case, desk, A.DISPATCH, at, department_code=dept.code)
        handler = c.handler.get(case.owner_department_id) if case.owner_department_id else None
        if status in (S.DISPATCHED, S.HANDLING) and handler is None:
            return None
        if status == S.DISPATCHED:
            right = c.department_for(case)
            if right is not None and case.owner_department_id != right.pk:
                return self.act(case, handler, A.RETURN, at, reason=rng.choice(texts.RETURN_REASONS))
            if rng.random() < 0.03:
                boss = c.leader_above(case.owner_center_id)
                if boss is not None:
                    return self.act(case, boss, A.SUPERVISE, at, note=rng.choice(texts.SUPERVISE_NOTES))
            return self.act(case, handler, A.HANDLE, at)
        if status in (S.HANDLING, S.CHECKED, S.REPORTED):
            part = CasePart.objects.filter(case=case, status=PartStatus.OPEN, role="assist").first()
            if (
                part is not None
                and part.department_id in c.handler
                and (status != S.HANDLING or rng.random() < 0.7)
            ):
                return self.act(
                    case,
                    c.handler[part.department_id],
                    A.PART_REPORT,
                    at,
                    note=rng.choice(texts.PART_RESULTS),
                )
        if status == S.HANDLING:
            pending = case.extensions.filter(status=ExtensionStatus.PENDING).exists()
            if pending:
                action = A.APPROVE_EXTENSION if rng.random() < 0.8 else A.REFUSE_EXTENSION
                return self.act(
                    case,
                    desk,
                    action,
                    at,
                    note="同意延期" if action == A.APPROVE_EXTENSION else "不同意延期,请按期办结",
                )
            notice = (
                Notice.objects.filter(case=case, to_department_id=case.owner_department_id, responded_at=None)
                .filter(kind__in=[NoticeKind.SUPERVISION, NoticeKind.WARNING])
                .first()
            )
            if notice is not None and rng.random() < 0.5:
                return self.act(
                    case, handler, A.RESPOND, at, notice_id=notice.pk, note=rng.choice(texts.RESPOND_NOTES)
                )
            if not self.eager and case.redo_count == 0 and rng.random() < 0.1 and not case.parts.exists():
                others = c.other_departments(case, {case.owner_department_id})
                if others:
                    chosen = rng.sample(others, k=min(len(others), rng.choice((1, 1, 2))))
                    return self.act(
                        case, handler, A.ASSIST, at,
                        department_codes=tuple(d.code for d in chosen), note=rng.choice(texts.ASSIST_TASKS),
                    )  # fmt: skip
            if not self.eager and rng.random() < 0.08 and not case.extensions.exists():
                return self.act(
                    case, handler, A.REQUEST_EXTENSION, at,
                    amount=rng.randint(2, 5), unit=DurationUnit.WORKDAYS,
                    reason=rng.choice(texts.EXTENSION_REASONS),
                )  # fmt: skip
            if case.contacted_at is None and rng.random() < 0.5:
                return self.act(case, handler, A.CONTACT, at, note=rng.choice(texts.CONTACT_NOTES))
            place = c.regions[case.region_id].name if case.region_id in c.regions else ""
            result = rng.choice(texts.TEXTS[code][1]).format_map(
                texts.Slots(rng, place=place, rural=False, at=at)
            )
            return self.act(case, handler, A.REPORT_BACK, at, note=result)
        if status == S.REPORTED:
            person = c.on_site(case)
            if person is None:
                return None
            if case.redo_count == 0 and rng.random() < 0.06:
                return self.act(
                    case, person, A.CHECK, at, passed=False, reason=rng.choice(texts.CHECK_FAIL_REASONS)
                )
            return self.act(case, person, A.CHECK, at, passed=True, note="现场核查已整改到位")
        if status == S.CHECKED:
            if case.parts.filter(status=PartStatus.OPEN).exists():
                return None  # an assisting department without a handler in the demo
            return self.act(case, desk, A.CLOSE, at, note="经核查办结")
        if status == S.CLOSED:
            roll = rng.random()
            if case.redo_count == 0 and roll < 0.06:
                rating = Rating.UNSATISFIED
            elif roll < 0.2:
                rating = Rating.BASICALLY_SATISFIED
            else:
                rating = Rating.SATISFIED
            return self.act(case, desk, A.FOLLOW_UP, at, rating=rating, note="电话回访反映人")
        return None


def _working_time(t: datetime, rng: random.Random, tz: ZoneInfo) -> datetime:
    """People act in the day: a moment in the night moves to the next morning."""
    local = t.astimezone(tz)
    if 8 <= local.hour < 20:
        return t
    day = local.date() + (timedelta(days=1) if local.hour >= 20 else timedelta())
    morning = datetime(day.year, day.month, day.day, 8, tzinfo=tz) + timedelta(minutes=rng.randint(20, 120))
    return morning


def _life(
    engine: Engine, case: Case, *, now: datetime, rng: random.Random, tz: ZoneInfo, plan: _Plan | None = None
) -> Case:
    """Run one case forward from its creation until `now` catches up with its story (or it
    reaches the status its plan holds it in)."""
    hold = plan.hold if plan else None
    yellow = plan is not None and plan.yellow
    pace = 0.2 if yellow else rng.choices((1.0, 2.0, 5.0), weights=(70, 20, 10))[0]
    stall_at = rng.randint(1, 8) if not hold and rng.random() < 0.06 else -1  # the forgotten case
    engine.eager = yellow
    t = case.created_at
    for n in range(40):
        status = S(case.status)
        # A case held at 待受理 stays as it came in; other holds are reached by acting first.
        if hold is not None and status == hold and (n > 0 or hold == S.RECEIVED):
            break
        low, high = WAIT.get(status, (10, 120))
        wait = rng.uniform(low, high) * (pace if status != S.SUSPENDED else 1.0)
        if n == stall_at:
            wait += rng.uniform(3, 25) * 1440
        t = (
            _working_time(t + timedelta(seconds=int(wait * 60)), rng, tz)
            if not yellow
            else t + timedelta(minutes=wait)
        )
        if t >= now:
            break
        case = engine.tick(case, t)
        try:
            nxt = engine.step(case, t, rng)
        except DomainError as exc:
            engine.problems += 1
            _say(engine.out, f"  ! {case.number}: {exc.as_dict()['message']}")
            break
        if nxt is None:
            break
        case = nxt
    engine.eager = False
    return engine.tick(case, now)


# Statuses a recent case is sometimes held in (its next act has not happened yet), in turn, so
# that even a small demo shows every one of them.
HOLDS = (
    S.RECEIVED,
    S.ACCEPTED,
    S.VERIFIED,
    S.REGISTERED,
    S.DISPATCHED,
    S.HANDLING,
    S.REPORTED,
    S.CHECKED,
    S.CLOSED,
)


@dataclass(frozen=True)
class _Plan:
    index: int
    at: datetime
    key: str
    duplicate: bool
    hold: CaseStatus | None = None
    yellow: bool = False  # made so that its finish clock is about 90 % used at `now`


def _yellow_start(now: datetime) -> datetime:
    """The intake moment whose 131 finish deadline leaves `now` at about 90 % of the time."""
    from gridgov.sla.deadlines import deadline_with_pauses
    from gridgov.sla.policies import RULE_131
    from gridgov.sla.selectors import current_calendar

    cal = current_calendar()
    lo, hi = now - timedelta(days=15), now
    for _ in range(30):
        mid = lo + (hi - lo) / 2
        due = deadline_with_pauses(mid, RULE_131.finish, calendar=cal)
        # 90 % used: the remaining tenth of the window lies after now.
        if now + (due - mid) * 0.1 > due:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def _plans(*, count: int, seed: int, now: datetime, tz: ZoneInfo) -> list[_Plan]:
    """Deterministic for (count, seed): the index, key and fate of each case; the moments
    follow `now`. Newest first, so an interrupted or time-boxed run has made the live part."""
    rng = random.Random(f"plans-{seed}")
    plans: list[_Plan] = []
    total, holds = 0, 0
    hours = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 14, 10, 12, 14, 14, 13, 12, 9, 7, 5, 4, 3, 2]
    while total < count:
        # Most cases spread over the 90 days; a third came in the last ten, still being worked.
        back = rng.uniform(0, DAYS) if rng.random() < 0.68 else rng.expovariate(1 / 3.5) % 10
        local = (now - timedelta(days=back)).astimezone(tz)
        hour = rng.choices(range(24), weights=hours)[0]
        at = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
        if at >= now:
            at = (now - timedelta(minutes=rng.randint(1, 600))).replace(microsecond=0)
        duplicate = total + 2 <= count and rng.random() < 0.03
        hold, yellow = None, False
        if back < 10 and rng.random() < 0.5:
            hold = HOLDS[holds % len(HOLDS)]
            holds += 1
            if hold not in (S.RECEIVED, S.ACCEPTED):
                # Old enough for the story to have come this far.
                at = (now - timedelta(days=rng.uniform(3, 9))).replace(microsecond=0)
            if hold == S.HANDLING:
                at, yellow = _yellow_start(now) - timedelta(minutes=rng.randint(0, 30)), True
        plans.append(_Plan(len(plans), at, f"demo-{seed}-{len(plans):05d}", duplicate, hold, yellow))
        total += 2 if duplicate else 1
    return sorted(plans, key=lambda p: (-p.at.astimezone(tz).toordinal(), p.at))


def demo_cases_exist(city: Region) -> int:
    return Case.objects.filter(
        territory_code__startswith=city.prefix, external_refs__has_key=SYNTHETIC_REF
    ).count()


def seed_demo_cases(*, city: Region, now: datetime, count: int = 4000, seed: int = 1, out: Any = None) -> int:
    """Make `count` demo cases (about) in `city` over the 90 days before `now`; returns how many
    it made. Runs again add nothing: each case has a deterministic idempotency key, and the
    keys already used are skipped (an interrupted run is finished, not repeated)."""
    started = time.monotonic()
    tz = ZoneInfo(settings.TIME_ZONE)
    plans = _plans(count=count, seed=seed, now=now, tz=tz)
    used = set(IdempotencyKey.objects.filter(key__startswith=f"demo-{seed}-").values_list("key", flat=True))
    todo = [p for p in plans if p.key not in used]
    if not todo:
        _say(out, f"演示事件已存在,跳过 / demo cases exist ({demo_cases_exist(city)}), nothing to add")
        _optimize(out)
        return 0
    cast = Cast.load(city)
    if not cast.grids or not cast.desk:
        _say(out, "没有网格或演示账号,跳过演示事件 / no grids or demo accounts: no demo cases")
        return 0
    engine = Engine(cast, out=out)
    made = 0
    for start in range(0, len(todo), BATCH):
        with transaction.atomic():
            for plan in todo[start : start + BATCH]:
                rng = random.Random(f"case-{seed}-{plan.index}")
                try:
                    channel = Channel.HOTLINE_12345 if plan.hold or plan.duplicate else None
                    case = engine.create(rng=rng, at=plan.at, key=plan.key, channel=channel)
                except DomainError as exc:
                    engine.problems += 1
                    _say(out, f"  ! {plan.key}: {exc.as_dict()['message']}")
                    continue
                if case is None:
                    continue
                made += 1
                if plan.duplicate:
                    made += _duplicate(engine, case, plan, rng=rng, now=now)
                _life(engine, case, now=now, rng=rng, tz=tz, plan=plan)
        done = start + BATCH
        if out is not None and (done // 500 != start // 500 or done >= len(todo)):
            _say(
                out,
                f"  演示事件 / demo cases: {min(done, len(todo))}/{len(todo)}"
                f" ({time.monotonic() - started:.0f} s)",
            )
    _say(
        out,
        f"演示事件 / demo cases: 新建 {made} 件, {engine.acts} 次办理, {engine.ticks} 次变色"
        f"{f', {engine.problems} 个问题' if engine.problems else ''} ({time.monotonic() - started:.1f} s)",
    )
    _optimize(out)
    return made


def _optimize(out: Any) -> None:
    """Thousands of new rows: give SQLite's planner its statistics now rather than at the
    worker's first housekeeping run (core/housekeeping.py: the due-cases scan drops from about
    0.4 s to a few ms)."""
    done = database_optimize()
    if done.action != "none":
        _say(out, f"数据库统计信息已更新 / database statistics: {done.action} ({done.seconds:.1f} s)")


def _duplicate(engine: Engine, parent: Case, plan: _Plan, *, rng: random.Random, now: datetime) -> int:
    """A second caller reports the same matter soon after; the desk merges it into the first."""
    at = parent.created_at + timedelta(minutes=rng.randint(5, 90))
    if at >= now:
        return 0
    if engine.cast.desk_of(parent.owner_center_id) is None:
        return 0
    child = engine.create(rng=rng, at=at, key=f"{plan.key}-dup", like=parent, channel=Channel(parent.channel))
    if child is None:
        return 0
    desk = engine.cast.desk_of(child.owner_center_id)
    if desk is not None and child.owner_center_id == parent.owner_center_id:
        try:
            engine.act(
                child,
                desk,
                A.MERGE,
                at + timedelta(minutes=rng.randint(2, 20)),
                parent_number=parent.number,
                note="重复反映,合并办理",
            )
        except DomainError as exc:
            engine.problems += 1
            _say(engine.out, f"  ! {child.number}: {exc.as_dict()['message']}")
    return 1
