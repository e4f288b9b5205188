"""A citizen's report (我要报事) or suggestion (我有话说), and the citizen's rating of a closed case.

Both go through the cases services: intake (`case_create`, channel citizen_app) and the loop
(`case_act` follow_up), acting as the portal's system account of the right centre."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from gridgov.cases.enums import CaseAction, CaseStatus, Channel, Rating
from gridgov.cases.models import Case
from gridgov.cases.services import ActParams, CaseDraft, attachment_upload, case_act, case_create
from gridgov.cases.services.attachments import JPEG, PNG, WEBP, sniff
from gridgov.core.errors import Conflict, DomainError, InvalidInput
from gridgov.core.pii import normalize_phone
from gridgov.geo.coords import to_wgs84
from gridgov.geo.enums import Crs
from gridgov.portal.conf import conf
from gridgov.portal.enums import LimitScope, ReportKind
from gridgov.portal.models import PortalReport
from gridgov.portal.services.actors import portal_actor_for, receiving_center
from gridgov.portal.services.limits import rate_limit_hit
from gridgov.portal.services.track import citizen_lookup

SUGGESTION_CATEGORY = "9901"  # 咨询建议
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{8,128}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
PHOTO_TYPES = {JPEG, PNG, WEBP}


@dataclass(frozen=True)
class CitizenReport:
    kind: ReportKind
    category_code: str
    text: str
    phone: str
    name: str = ""
    lon: float | None = None
    lat: float | None = None
    coord_system: Crs = Crs.WGS84
    address: str = ""


def _bad(zh: str, en: str, code: str) -> InvalidInput:
    return InvalidInput(zh, en, code=code)


def _validate(report: CitizenReport) -> None:
    if not MOBILE.match(normalize_phone(report.phone)):
        raise _bad(
            "请填写正确的11位手机号码(用于查询进度)", "a mainland mobile number is required", "bad_phone"
        )
    text = report.text.strip()
    if len(text) < 5:
        raise _bad("请至少用 5 个字描述问题或建议", "describe it in at least 5 characters", "text_too_short")
    if len(text) > 2000:
        raise _bad("描述不能超过 2000 字", "the description is longer than 2000 characters", "text_too_long")
    if len(report.name) > 32 or len(report.address) > 200:
        raise _bad("姓名或地址过长", "the name or address is too long", "field_too_long")
    if report.kind == ReportKind.ISSUE and not report.category_code:
        raise _bad("请选择问题类别", "choose a category", "category_required")
    if (report.lon is None) != (report.lat is None):
        raise _bad("经度和纬度须同时给出", "give both longitude and latitude", "bad_location")
    if (
        report.lon is not None
        and report.lat is not None
        and not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90)
    ):
        raise _bad("位置坐标超出范围", "the position is out of range", "bad_location")


def _photos_check(photos: Sequence[UploadedFile]) -> list[str]:
    c = conf()
    if len(photos) > c.max_photos:
        raise _bad(f"最多上传 {c.max_photos} 张照片", f"at most {c.max_photos} photos", "too_many_photos")
    digests = []
    for photo in photos:
        if (photo.size or 0) > c.max_photo_bytes:
            mb = c.max_photo_bytes // (1024 * 1024)
            raise _bad(
                f"照片 {photo.name} 超过 {mb} MB",
                f"photo {photo.name} is larger than {mb} MB",
                "photo_too_large",
            )
        data = photo.read()
        photo.seek(0)
        if sniff(data[:16], data) not in PHOTO_TYPES:
            raise _bad(
                f"{photo.name} 不是照片(仅限 jpg/png/webp)", f"{photo.name} is not a jpg/png/webp photo",
                "bad_photo_type",
            )  # fmt: skip
        digests.append(hashlib.sha256(data).hexdigest())
    return digests


def _draft(report: CitizenReport, attachment_ids: tuple[int, ...]) -> CaseDraft:
    lon, lat = report.lon, report.lat
    if lon is not None and lat is not None:
        # Mini-programs and Chinese map SDKs hand out GCJ-02; cases are kept in WGS84.
        xs, ys = to_wgs84([lon], [lat], report.coord_system)
        lon, lat = round(float(xs[0]), 7), round(float(ys[0]), 7)
    text = report.text.strip()
    first_line = text.splitlines()[0] if text else ""
    prefix = "【建议】" if report.kind == ReportKind.SUGGESTION else ""
    return CaseDraft(
        channel=Channel.CITIZEN_APP,
        category_code=report.category_code or SUGGESTION_CATEGORY,
        title=(prefix + first_line)[:60],
        description=text,
        lon=lon,
        lat=lat,
        crs=Crs.WGS84,
        address=report.address.strip(),
        reporter_name=report.name.strip(),
        reporter_phone=report.phone.strip(),
        attachment_ids=attachment_ids,
    )


def _digest(key: str, phone: str) -> str:
    return hashlib.sha256(f"{key}|{normalize_phone(phone)}".encode()).hexdigest()


def _replay(digest: str, fingerprint: str) -> Case | None:
    row = PortalReport.objects.filter(key_digest=digest).select_related("case").first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict(
            "该提交编号已用于另一份内容不同的报事,请刷新页面后重新提交",
            "this submission key was already used for a different report",
            code="idempotency_key_reused",
        )
    return row.case


def portal_report_submit(
    *, report: CitizenReport, photos: Sequence[UploadedFile], key: str, ip: str, now: datetime
) -> tuple[Case, bool]:
    """(case, created). The same key from the same phone with the same content answers the
    first case again, however often it is sent; rate limits count new submissions only."""
    if not KEY_PATTERN.match(key or ""):
        raise _bad(
            "缺少或无效的提交编号(Idempotency-Key,8–128 个可见 ASCII 字符)",
            "missing or invalid Idempotency-Key (8–128 printable ASCII characters)",
            "idempotency_key_required",
        )
    _validate(report)
    photo_digests = _photos_check(photos)
    digest = _digest(key, report.phone)
    body = {**asdict(report), "photos": photo_digests}
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    found = _replay(digest, fingerprint)
    if found is not None:
        return found, False
    rate_limit_hit(scope=LimitScope.SUBMIT_IP, key=ip or "unknown", now=now)
    rate_limit_hit(scope=LimitScope.SUBMIT_PHONE, key=normalize_phone(report.phone), now=now)
    try:
        with transaction.atomic():
            actor = portal_actor_for(receiving_center())
            ids = tuple(attachment_upload(actor=actor, file=p, now=now).pk for p in photos)
            case, _ = case_create(
                actor=actor, draft=_draft(report, ids), idempotency_key=f"portal-{digest[:48]}", now=now
            )
            PortalReport.objects.create(
                key_digest=digest, fingerprint=fingerprint, kind=report.kind, case=case, created_at=now
            )
            return case, True
    except (IntegrityError, Conflict):
        # A concurrent copy of this very submission (a double tap) committed first: its case.
        found = _replay(digest, fingerprint)
        if found is None:
            raise
        return found, False


def portal_rate(*, number: str, phone: str, rating: Rating, comment: str, ip: str, now: datetime) -> Case:
    """The citizen's rating of a closed case: the loop's follow-up (回访). Unsatisfied reopens it."""
    case = citizen_lookup(number=number, phone=phone, ip=ip, now=now)
    if case.status != CaseStatus.CLOSED:
        raise Conflict(
            "事件办结后才能评价,或已评价过"
            if case.status != CaseStatus.ARCHIVED
            else "该事件已评价,感谢您的反馈",
            "only a closed, not yet rated case can be rated",
            code="not_ratable",
        )
    if len(comment) > 500:
        raise _bad("评价意见不能超过 500 字", "the comment is longer than 500 characters", "comment_too_long")
    note = "市民评价:" + Rating(rating).label + (f"。{comment.strip()}" if comment.strip() else "")
    try:
        with transaction.atomic():
            return case_act(
                actor=portal_actor_for(case.owner_center),
                number=case.number,
                action=CaseAction.FOLLOW_UP,
                params=ActParams(rating=Rating(rating), note=note, expected_version=case.version),
                now=now,
            )
    except DomainError as exc:
        if exc.code == "stale_version":
            raise Conflict(
                "事件刚刚有更新,请刷新后再评价", "the case changed meanwhile; reload", code="stale_version"
            ) from exc
        raise
