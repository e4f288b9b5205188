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

import numpy as np
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.cases import caches
from gridgov.cases.enums import CaseAction, CaseStatus, Channel, RoutingTarget, Urgency
from gridgov.cases.models import Case, CaseEvent, Category, IdempotencyKey, RoutingRule
from gridgov.cases.selectors import user_units_light
from gridgov.cases.services.attachments import attachments_claim
from gridgov.cases.services.clocks import clocks_recompute, policy_for
from gridgov.cases.services.numbering import case_number_next, number_cte_sql, number_from_cte_sql
from gridgov.cases.services.routing import center_for, routing_rule_for
from gridgov.core.errors import Conflict, Forbidden, InvalidInput
from gridgov.core.pii import normalize_phone
from gridgov.geo.coords import to_wgs84
from gridgov.geo.enums import Crs, RegionLevel
from gridgov.geo.index import GridRef, RegionRef
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
        # The fields one level deep (what dataclasses.asdict gives for these plain values, at a
        # fraction of its cost): the same text, so keys stored earlier still match.
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        body = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    region: Region
    chain: list[int]  # region ids from the top of the tree down to `region`
    grid: Grid | None
    territory_code: str
    outside_city: bool
    number_region: str  # the county's code, what case numbers start with


def _region_from(ref: RegionRef) -> Region:
    """A Region as loaded from the database with only the layer's fields; any other field is
    deferred (read from the database if something asks for it)."""
    return Region.from_db("default", _REGION_FIELDS, (ref.id, ref.code, ref.name, ref.level, ref.parent_id))


def _grid_from(ref: GridRef, community: Region) -> Grid:
    grid = Grid.from_db("default", _GRID_FIELDS, (ref.id, ref.code, ref.name, ref.kind, ref.community_id))
    grid.community = community
    return grid


_REGION_FIELDS = ["id", "code", "name", "level", "parent_id"]
_GRID_FIELDS = ["id", "code", "name", "kind", "community_id"]


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
            # The grid, its community and the chain with codes and levels all come from the
            # in-memory layer (at most a second old, geo/index.py): no query.
            chain = [r.id for r in placement.regions]
            levels = [(r.code, r.level) for r in placement.regions]
            community = _region_from(placement.regions[-1])
            grid = _grid_from(placement.grid, community)
            return Placed(community, chain, grid, grid.code, False, _number_region(levels, community))
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


def _wgs84(draft: CaseDraft) -> tuple[float, float] | None:
    if draft.lon is None or draft.lat is None:
        return None
    if Crs(draft.crs) == Crs.WGS84:
        return float(draft.lon), float(draft.lat)
    x, y = to_wgs84(
        np.array([draft.lon], dtype=np.float64), np.array([draft.lat], dtype=np.float64), draft.crs
    )
    return float(x[0]), float(y[0])


def _build(*, actor, draft: CaseDraft, plan: Plan, now: datetime) -> tuple[Case, CaseEvent]:
    """The case (without its number) and its create event (without its case), not saved."""
    category, placed, rule, owner, policy = plan.category, plan.placed, plan.rule, plan.owner, plan.policy
    wgs84 = _wgs84(draft)
    case = Case(
        channel=draft.channel,
        category=category,
        title=draft.title,
        description=draft.description,
        urgency=draft.urgency,
        external_refs=draft.external_refs,
        # Stored in WGS84 whatever the reporter sent (crs keeps what they sent it in): maps,
        # exports and Open311 all read these columns as WGS84.
        lon=None if wgs84 is None else wgs84[0],
        lat=None if wgs84 is None else wgs84[1],
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
    event = CaseEvent(
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
    return case, event


def _create(*, actor, draft: CaseDraft, plan: Plan, key: IdempotencyKey, now: datetime) -> Case:
    """The inserts one by one through the ORM: numbering, case, event, key, attachments."""
    case, event = _build(actor=actor, draft=draft, plan=plan, now=now)
    case.number = case_number_next(region_code=plan.placed.number_region, day=timezone.localdate(now))
    case.save()
    event.case = case
    event.save()
    key.case = case
    key.save()
    attachments_claim(actor=actor, ids=draft.attachment_ids, case=case, event=event)
    return case


def _create_in_one_statement(
    *, actor, draft: CaseDraft, plan: Plan, key: IdempotencyKey, now: datetime
) -> Case:
    """PostgreSQL: the same four inserts (numbering, case, event, key) as one statement, data-
    modifying CTEs handing each other the new ids: one round trip and no ORM compile instead of
    four. The key's unique constraint still decides between two requests with one key."""
    case, event = _build(actor=actor, draft=draft, plan=plan, now=now)
    seq_sql, seq_params = number_cte_sql(region_code=plan.placed.number_region, day=timezone.localdate(now))
    number_sql, number_params = number_from_cte_sql(
        region_code=plan.placed.number_region, day=timezone.localdate(now), cte="s"
    )
    c_sql, c_params = _insert_sql(case, {"number": (number_sql, number_params)}, returning="id, number")
    e_sql, e_params = _insert_sql(event, {"case_id": ("(SELECT id FROM c)", [])}, returning="id")
    k_sql, k_params = _insert_sql(key, {"case_id": ("(SELECT id FROM c)", [])})
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH s AS ({seq_sql}), c AS ({c_sql}), e AS ({e_sql}), k AS ({k_sql}) "  # noqa: S608 - ours
            "SELECT c.id, c.number, e.id FROM c, e",
            [*seq_params, *c_params, *e_params, *k_params],
        )
        row = cursor.fetchone()
    assert row is not None
    case.pk, case.number = row[0], row[1]
    event.pk, event.case = row[2], case
    for obj in (case, event):
        obj._state.adding, obj._state.db = False, connection.alias
    return case


# Values written into the statement's text rather than passed: psycopg caches the parsing of a
# statement only while it has at most 50 parameters, and a case has more columns than that;
# most of them are empty at intake, so the text varies little and stays cached.
_LITERALS: dict[tuple[type, Any], str] = {
    (type(None), None): "NULL",
    (bool, True): "TRUE",
    (bool, False): "FALSE",
    (str, ""): "''",
    (int, 0): "0",
    (int, 1): "1",
}
_INLINE = (type(None), bool, str, int)

# How a column's value is prepared. _AS_IS: the value the instance holds is what the ORM would
# send (pre_save and get_db_prep_save are the identity for these field classes and value types,
# checked per value below); _DATETIME: as is, then the backend's adapter; _ORM: the full ORM
# preparation (the encrypted fields and their blind indexes, JSON, anything else).
_AS_IS, _DATETIME, _ORM = 0, 1, 2
_ABSENT = object()
# Exact field classes (a subclass such as EncryptedTextField may prepare its value) and the
# value types each passes through unchanged (exact types; for str also its subclasses, the
# TextChoices members: CharField.to_python keeps any str).
_PASS: dict[type, tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.FloatField: (float,),
    models.ForeignKey: (int,),
}
_INT_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


@dataclass(frozen=True)
class _Column:
    name: str
    quoted: str
    field: Any
    attname: str
    kind: int
    types: tuple[type, ...] = ()


_COLUMNS: dict[tuple[type, str], tuple[str, tuple[_Column, ...]]] = {}


def _columns(model: type[models.Model], vendor: str) -> tuple[str, tuple[_Column, ...]]:
    """The quoted table name and the columns of an INSERT (all but the primary key), once per
    model and backend: the field walk and the quoting are the same on every call."""
    found = _COLUMNS.get((model, vendor))
    if found is None:
        found = _COLUMNS[(model, vendor)] = _columns_of(model)
    return found


def _columns_of(model: type[models.Model]) -> tuple[str, tuple[_Column, ...]]:
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        types = _PASS.get(type(f), ())
        if type(f) is models.ForeignKey and not isinstance(f.target_field, _INT_KEYS):
            types = ()
        kind = _AS_IS if types else _ORM
        if type(f) is models.DateTimeField and not (f.auto_now or f.auto_now_add):
            kind = _DATETIME
        column = str(f.column)
        columns.append(_Column(column, qn(column), f, f.attname, kind, types))
    return qn(model._meta.db_table), tuple(columns)


def _prepared(col: _Column, obj: Any, conn: Any) -> Any:
    """The value as `get_db_prep_save(pre_save(obj, True))` gives it, without the ORM's calls
    where they are the identity."""
    if col.kind != _ORM:
        value = obj.__dict__.get(col.attname, _ABSENT)  # absent: deferred, the ORM loads it
        if value is None:
            return None
        kind = type(value)
        if col.kind == _AS_IS and (kind in col.types or (col.types[0] is str and isinstance(value, str))):
            return value
        if col.kind == _DATETIME and kind is datetime and value.utcoffset() is not None:
            return conn.ops.adapt_datetimefield_value(value)
    f = col.field
    return f.get_db_prep_save(f.pre_save(obj, True), conn)


def _insert_sql(
    obj: Any, sql_for: dict[str, tuple[str, list[Any]]], *, returning: str = ""
) -> tuple[str, list[Any]]:
    """INSERT of one unsaved model instance, its values prepared as the ORM prepares them
    (pre_save: the encrypted fields and their blind indexes; get_db_prep_save); `sql_for` puts
    an SQL expression in place of a column's value."""
    conn = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs a lookup
    table, columns = _columns(type(obj), conn.vendor)
    marks, params = [], []
    for col in columns:
        if col.name in sql_for:
            expr, expr_params = sql_for[col.name]
            marks.append(expr)
            params += expr_params
            continue
        value = _prepared(col, obj, conn)
        literal = _LITERALS.get((type(value), value)) if isinstance(value, _INLINE) else None
        if literal is None:
            marks.append("%s")
            params.append(value)
        else:
            marks.append(literal)
    names = ", ".join(col.quoted for col in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(marks)})"  # noqa: S608
    return (f"{sql} RETURNING {returning}" if returning else sql), params


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
        # Plain values first; the case is read only when the key is known.
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

    # No look-up of the key first: a key is new almost always, and a known one is caught by its
    # unique constraint when the key row is inserted, in the same transaction as the case, which
    # then rolls back whole (its number included) and the first request's case is the answer.
    # Two requests with one key at once: the second waits on the first's key row, then fails.
    key = IdempotencyKey(user=actor, key=idempotency_key, request_hash=fingerprint, created_at=now)
    one_statement = connection.vendor == "postgresql" and not draft.attachment_ids
    try:
        if one_statement and not connection.in_atomic_block:
            # One statement is one transaction by itself (autocommit): all four rows or none,
            # without the BEGIN and COMMIT round trips. Inside a caller's transaction it takes
            # a savepoint below like any other write, so a refused key undoes only itself.
            return _create_in_one_statement(actor=actor, draft=draft, plan=plan, key=key, now=now), True
        with transaction.atomic():
            if one_statement:
                return _create_in_one_statement(actor=actor, draft=draft, plan=plan, key=key, now=now), True
            return _create(actor=actor, draft=draft, plan=plan, key=key, now=now), True
    except IntegrityError:
        found = replay()
        if found is None:
            raise
        return found
