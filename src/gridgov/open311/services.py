"""The only writers of Open311 data: partners' keys, and the requests partners POST (which are
cases, made by the cases intake, on the partner's channel)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.db import transaction

from gridgov.accounts.enums import Role
from gridgov.accounts.models import Center
from gridgov.accounts.services import user_create
from gridgov.cases.enums import Channel
from gridgov.cases.models import Case
from gridgov.cases.services import CaseDraft, case_create
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.geo.enums import Crs
from gridgov.open311.enums import Datatype
from gridgov.open311.errors import BadRequest
from gridgov.open311.models import Open311Client
from gridgov.open311.selectors import attributes_of, service_get
from gridgov.portal.services.actors import receiving_center


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def client_create(
    *, name: str, channel: Channel, now: datetime, center_code: str = ""
) -> tuple[Open311Client, str]:
    """A new partner and its api_key (returned once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("接入方名称不能为空且不超过 100 字", "a name of 1–100 characters is required")
    if Open311Client.objects.filter(name=name).exists():
        raise Conflict(f"接入方 {name} 已存在", f"a client named {name} exists", code="client_exists")
    if center_code:
        center = Center.objects.select_related("region").filter(region__code=center_code).first()
        if center is None:
            raise NotFound(f"区划 {center_code} 没有指挥中心", f"no centre for region {center_code}")
    else:
        center = receiving_center()
    key = "o311_" + secrets.token_urlsafe(30)
    prefix = key[5:13]
    user = user_create(
        username=f"open311-{prefix}", role=Role.DISPATCHER, password=None, center=center,
        display_name=f"Open311:{name}(系统)",
    )  # fmt: skip
    client = Open311Client.objects.create(
        name=name, prefix=prefix, digest=key_digest(key), channel=channel, user=user, created_at=now
    )
    return client, key


@transaction.atomic
def client_revoke(*, name: str, now: datetime) -> Open311Client:
    client = Open311Client.objects.select_for_update().filter(name=name).first()
    if client is None:
        raise NotFound(f"没有名为 {name} 的接入方", f"no client named {name}")
    if client.revoked_at is None:
        client.revoked_at = now
        client.save(update_fields=["revoked_at"])
    return client


def _attribute_text(service_code: str, answers: dict[str, list[str]]) -> str:
    """Check the answers against the service definition; return them as lines for the case."""
    attributes = {a.code: a for a in attributes_of(service_code)}
    unknown = sorted(set(answers) - set(attributes))
    if unknown:
        raise BadRequest(f"未知的属性:{', '.join(unknown)}", f"unknown attribute(s): {', '.join(unknown)}")
    lines = []
    for code, attr in attributes.items():
        values = [v for v in answers.get(code, []) if v.strip()]
        if not attr.variable:
            continue
        if attr.required and not values:
            raise BadRequest(f"缺少必填属性 {code}({attr.description})", f"attribute {code} is required")
        if not values:
            continue
        if attr.datatype in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST):
            keys = {str(v.get("key")): str(v.get("name")) for v in attr.values}
            bad = [v for v in values if v not in keys]
            if bad or (attr.datatype == Datatype.SINGLEVALUELIST and len(values) > 1):
                raise BadRequest(f"属性 {code} 的取值无效", f"invalid value for attribute {code}")
            shown = "、".join(keys[v] for v in values)
        elif attr.datatype == Datatype.NUMBER:
            try:
                float(values[0])
            except ValueError:
                raise BadRequest(f"属性 {code} 须为数字", f"attribute {code} must be a number") from None
            shown = values[0]
        else:
            shown = values[0][:500]
        lines.append(f"{attr.description}:{shown}")
    return "\n".join(lines)


def request_submit(
    *,
    client: Open311Client,
    params: dict[str, Any],
    attributes: dict[str, list[str]],
    key: str,
    now: datetime,
) -> Case:
    """POST requests: one case through intake, on the partner's channel, its name recorded as
    the external reference. `key` makes a retried POST answer the first case."""
    code = params.get("service_code", "")
    try:
        category = service_get(code)
    except NotFound as exc:
        # GeoReport v2: a POST naming no known service is a 400, not a 404.
        raise BadRequest(exc.message_zh, exc.message_en, code=exc.code) from exc
    lat, lon = params.get("lat"), params.get("long")
    if (lat is None) != (lon is None):
        raise BadRequest("lat 与 long 须同时给出", "lat and long must be given together")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("lat/long 超出范围", "lat/long out of range")
    description = (params.get("description") or "").strip()
    extra = _attribute_text(code, attributes)
    if not description and not extra:
        description = category.name
    name = f"{params.get('last_name', '')}{params.get('first_name', '')}".strip()[:64]
    phone = (params.get("phone") or "").strip()[:32]
    refs = {"open311": client.name}
    for field in ("account_id", "device_id", "address_id"):
        if params.get(field):
            refs[f"open311_{field}"] = str(params[field])[:64]
    draft = CaseDraft(
        channel=Channel(client.channel),
        category_code=category.code,
        title=(description.splitlines()[0] if description else category.name)[:60] or category.name,
        description="\n".join(t for t in (description, extra) if t)[:4000],
        lon=lon,
        lat=lat,
        crs=Crs.WGS84,
        address=(params.get("address_string") or "").strip()[:200],
        reporter_name=name,
        reporter_phone=phone,
        reporter_anonymous=not (name or phone),
        external_refs=refs,
    )
    with transaction.atomic():
        try:
            case, _ = case_create(
                actor=client.user, draft=draft, idempotency_key=key or f"o311-{uuid.uuid4().hex}", now=now
            )
        except InvalidInput as exc:
            # A rule of intake said no (a bad phone…): GeoReport calls that a bad request.
            raise BadRequest(exc.message_zh, exc.message_en, code=exc.code) from exc
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return case
