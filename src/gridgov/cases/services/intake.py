"""Intake: one function for every channel. Locates, numbers, routes and starts the clocks of a
new case: the reads first (mostly from per-process caches, cases/caches.py), then the numbering
and the inserts in one transaction, at most once per idempotency key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.cases import caches
from gridgov.cases.enums import CaseAction, CaseStatus, Channel, RoutingTarget, Urgency
from gridgov.cases.models import Case, CaseEvent, Category, IdempotencyKey, RoutingRule
from gridgov.cases.selectors import user_units_light
from gridgov.cases.services.attachments import attachments_claim
from gridgov.cases.services.clocks import clocks_recompute, policy_for
from gridgov.cases.services.numbering import case_number_next
from gridgov.cases.services.routing import center_for, routing_rule_for
from gridgov.core.errors import Conflict, Forbidden, InvalidInput
from gridgov.core.pii import normalize_phone
from gridgov.geo.enums import Crs, RegionLevel
from gridgov.geo.locate import locate_point
from gridgov.geo.models import Grid, Region
from gridgov.sla.policies import DeadlinePolicy as Policy

INTAKE_ROLES = frozenset({Role.DISPATCHER, Role.LEADER, Role.GRID_WORKER, Role.GRID_HEAD, Role.POLICE})
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{8,128}$")


@dataclass(frozen=True)
class CaseDraft:
    channel: Channel
    category_code: str
    title: str
    description: str = ""
    urgency: Urgency = Urgency.NORMAL
    lon: float | None = None
    lat: float | None = None
    crs: Crs = Crs.WGS84
    address: str = ""
    region_code: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_anonymous: bool = False
    external_refs: dict[str, str] = field(default_factory=dict)
    attachment_ids: tuple[int, ...] = ()

    def fingerprint(self) -> str:
        body = json.dumps(dataclasses.asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    region: Region
    chain: list[int]  # region ids from the top of the tree down to `region`
    grid: Grid | None
    territory_code: str
    outside_city: bool
    number_region: str  # the county's code, what case numbers start with


def _light(pk: int) -> Region:
    return Region.objects.defer("boundary").get(pk=pk)


def _ancestry(region: Region) -> list[Region]:
    """The region and every region above it, from the top of the tree down."""
    nodes = [region]
    while nodes[-1].parent_id is not None:
        nodes.append(_light(nodes[-1].parent_id))
    return nodes[::-1]


def _number_region(levels: Sequence[tuple[str, str]], region: Region) -> str:
    # Numbers carry the county (6 digits): what citizens and the 12345 seats quote.
    # `levels`: (code, level) of the chain, from the top down.
    return next((code for code, level in levels if level == RegionLevel.COUNTY), region.code[:6])


def _placed_in(region: Region, ancestry: list[Region], **kw: Any) -> Placed:
    levels = [(r.code, r.level) for r in ancestry]
    return Placed(region, [r.pk for r in ancestry], territory_code=region.code,
                  number_region=_number_region(levels, region), **kw)  # fmt: skip


def _place(draft: CaseDraft, home: Region) -> Placed:
    if draft.lon is not None or draft.lat is not None:
        if draft.lon is None or draft.lat is None:
            raise InvalidInput(
                "经度和纬度须同时给出", "give both longitude and latitude", code="bad_location"
            )
        placement = locate_point(lon=draft.lon, lat=draft.lat, crs=draft.crs)
        if placement.grid is not None:
            grid = (
                Grid.objects.select_related("community")
                .defer("boundary", "community__boundary")
                .get(pk=placement.grid.id)
            )
            # The chain with its codes and levels comes from the in-memory layer: no query.
            chain = [r.id for r in placement.regions]
            levels = [(r.code, r.level) for r in placement.regions]
            return Placed(
                grid.community, chain, grid, grid.code, False, _number_region(levels, grid.community)
            )
        # Outside every grid: accepted by the city centre and flagged, never refused or lost.
        ancestry = _ancestry(home)
        # The first city above the receiving centre (or the top of its tree).
        at = next((i for i in range(len(ancestry) - 1, -1, -1) if ancestry[i].level == RegionLevel.CITY), 0)
        city = ancestry[at]
        return _placed_in(city, ancestry[: at + 1], grid=None, outside_city=True)
    if draft.region_code:
        region = Region.objects.defer("boundary").filter(code=draft.region_code).first()
        if region is None:
            raise InvalidInput(
                f"区划代码 {draft.region_code} 不存在", f"no region {draft.region_code}", code="bad_region"
            )
        return _placed_in(region, _ancestry(region), grid=None, outside_city=False)
    return _placed_in(home, _ancestry(home), grid=None, outside_city=False)


def _validate(draft: CaseDraft) -> Category:
    category = caches.category_by_code(draft.category_code)  # per-process, fresh within a second
    if category is None or not category.active:
        raise InvalidInput(
            f"事项分类 {draft.category_code} 不存在或已停用",
            f"no active category {draft.category_code}",
            code="bad_category",
        )
    if draft.reporter_anonymous and (draft.reporter_name or draft.reporter_phone):
        raise InvalidInput(
            "匿名反映不应填写姓名或电话",
            "an anonymous report carries no name or phone",
            code="anonymous_with_identity",
        )
    if draft.reporter_phone and not 5 <= len(normalize_phone(draft.reporter_phone)) <= 20:
        raise InvalidInput("联系电话格式不正确", "the phone number is not a phone number", code="bad_phone")
    return category


def _owner(*, actor, placed: Placed, rule) -> Center:
    """首问负责: the receiving centre keeps a case about its own territory; a case about another
    territory goes to that territory's centre at the receiver's level; outside the city, to the
    city centre. A routing rule may name a centre instead (kept only if it covers the place)."""
    home: Center = actor.center
    if (
        rule is not None
        and rule.target == RoutingTarget.CENTER
        and placed.territory_code.startswith(rule.center.region.prefix)
    ):
        return rule.center
    if placed.outside_city:
        return center_for(placed.chain) or home
    if home.region_id in placed.chain:
        return home
    depth = list(RegionLevel).index(RegionLevel(home.region.level)) - 1  # chain starts at the city
    return center_for(placed.chain, deepest=max(depth, 0)) or home


@dataclass(frozen=True)
class Plan:
    """Everything intake decides from reads alone, before its transaction begins."""

    category: Category
    placed: Placed
    rule: RoutingRule | None
    owner: Center
    policy: Policy


def _plan(*, actor, draft: CaseDraft) -> Plan:
    # Reads only (mostly from the per-process caches): done outside the transaction, so that on
    # SQLite the write lock is held for the numbering and the inserts alone.
    category = _validate(draft)
    placed = _place(draft, actor.center.region)
    rule = routing_rule_for(category=category, region_ids=placed.chain)
    owner = _owner(actor=actor, placed=placed, rule=rule)
    policy = policy_for(category=category, urgency=draft.urgency, level=owner.region.level)
    return Plan(category, placed, rule, owner, policy)


def _create(*, actor, draft: CaseDraft, plan: Plan, now: datetime) -> Case:
    category, placed, rule, owner, policy = plan.category, plan.placed, plan.rule, plan.owner, plan.policy
    case = Case(
        number=case_number_next(region_code=placed.number_region, day=timezone.localdate(now)),
        channel=draft.channel,
        category=category,
        title=draft.title,
        description=draft.description,
        urgency=draft.urgency,
        external_refs=draft.external_refs,
        lon=None if draft.lon is None else float(draft.lon),
        lat=None if draft.lat is None else float(draft.lat),
        crs=draft.crs if draft.lon is not None else "",
        address=draft.address,
        grid=placed.grid,
        region=placed.region,
        territory_code=placed.territory_code,
        outside_city=placed.outside_city,
        reporter_anonymous=draft.reporter_anonymous,
        reporter_name=draft.reporter_name,
        reporter_phone=draft.reporter_phone,
        received_by=actor.center,
        owner_center=owner,
        routed_department=rule.department
        if rule is not None and rule.target == RoutingTarget.DEPARTMENT
        else None,
        level=owner.region.level,
        status=CaseStatus.RECEIVED,
        policy_contact=policy.contact.short(),
        policy_finish=policy.finish.short(),
        policy_feedback=policy.feedback.short(),
        finish_started_at=now,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    clocks_recompute(case, now=now)
    case.save()
    event = CaseEvent.objects.create(
        case=case,
        action=CaseAction.CREATE,
        from_status="",
        to_status=case.status,
        actor=actor,
        note="",
        data={
            "owner_center": owner.region.code,
            "routed_department": case.routed_department.code if case.routed_department else None,
            "outside_city": placed.outside_city,
        },
        at=now,
    )
    attachments_claim(actor=actor, ids=draft.attachment_ids, case=case, event=event)
    return case


def case_create(*, actor: Any, draft: CaseDraft, idempotency_key: str, now: datetime) -> tuple[Case, bool]:
    """(case, created). The same key with the same draft answers the first case again
    (created=False); the same key with another draft is refused."""
    if not getattr(actor, "center_id", None) or actor.role not in INTAKE_ROLES:
        raise Forbidden("无权登记事件", "you may not register cases", code="intake_forbidden")
    if not KEY_PATTERN.match(idempotency_key or ""):
        raise InvalidInput(
            "缺少或无效的 Idempotency-Key 请求头(8–128 个可见 ASCII 字符)",
            "missing or invalid Idempotency-Key header (8–128 printable ASCII characters)",
            code="idempotency_key_required",
        )
    fingerprint = draft.fingerprint()
    user_units_light(actor)

    def replay() -> tuple[Case, bool] | None:
        # Plain values first: a key is new almost always, and the case is read only when it is not.
        row = (
            IdempotencyKey.objects.filter(user_id=actor.pk, key=idempotency_key)
            .values_list("request_hash", "case_id")
            .first()
        )
        if row is None:
            return None
        if row[0] != fingerprint:
            raise Conflict(
                "该 Idempotency-Key 已用于另一份不同的请求",
                "this Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        return Case.objects.get(pk=row[1]), False

    try:
        plan = _plan(actor=actor, draft=draft)
    except InvalidInput:
        # The first request with this key may have been valid when it came (a category retired
        # since): its case is the answer, as before any check.
        found = replay()
        if found is None:
            raise
        return found

    try:
        with transaction.atomic():
            found = replay()
            if found is not None:
                return found
            case = _create(actor=actor, draft=draft, plan=plan, now=now)
            IdempotencyKey.objects.create(
                user=actor, key=idempotency_key, request_hash=fingerprint, case=case, created_at=now
            )
            return case, True
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its case.
        found = replay()
        if found is None:
            raise
        return found
