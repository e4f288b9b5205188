"""Attachments: uploaded first (one request per file), then named by id in an intake or an act,
which binds them to the case and its event. The type is decided by the file's first bytes, and
must agree with the file name's extension: a renamed executable is not a photo.

Reading one back (`attachment_for`) follows the case's scope: whoever may not see the case gets
the same 404 as for no such file; an upload not yet bound to a case is its uploader's alone."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from gridgov.cases.models import Attachment, Case, CaseEvent
from gridgov.cases.selectors import cases_visible
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.core.files import kept_with

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_ACT = 20

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {
    JPEG: {".jpg", ".jpeg"},
    PNG: {".png"},
    WEBP: {".webp"},
    PDF: {".pdf"},
    DOCX: {".docx"},
    XLSX: {".xlsx"},
}
ALLOWED_SUFFIXES = sorted({s for suffixes in EXTENSIONS.values() for s in suffixes})
IMAGES = frozenset({JPEG, PNG, WEBP})
THUMB_PIXELS = 240
# A 10 MB file can still claim a huge canvas (a decompression bomb): refuse to thumbnail those.
THUMB_MAX_SOURCE_PIXELS = 60_000_000


class BadAttachment(InvalidInput):
    code = "bad_attachment"


def sniff(head: bytes, data: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        # docx and xlsx are zip files; their content-types part and main folder tell them apart.
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return DOCX
            if any(n.startswith("xl/") for n in names):
                return XLSX
    return None


def attachment_upload(*, actor, file: UploadedFile, now: datetime) -> Attachment:
    name = PurePath(file.name or "").name[:200]
    if not name:
        raise BadAttachment("附件缺少文件名", "the attachment has no file name")
    size = file.size or 0
    if size == 0:
        raise BadAttachment("附件为空", "the attachment is empty")
    if size > MAX_BYTES:
        raise BadAttachment(
            f"附件超过 {MAX_BYTES // (1024 * 1024)} MB", f"the attachment is larger than {MAX_BYTES} bytes"
        )
    data = file.read()
    kind = sniff(data[:16], data)
    allowed = "jpg/png/webp/pdf/docx/xlsx"
    if kind is None:
        raise BadAttachment(
            f"不支持的附件类型(仅限 {allowed})", f"unsupported file type (only {allowed}); judged by content"
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS[kind]:
        raise BadAttachment(
            f"文件扩展名 {suffix or '(无)'} 与内容({kind})不符",
            f"the extension {suffix or '(none)'} does not match the content ({kind})",
        )
    file.seek(0)
    attachment = Attachment(
        name=name,
        content_type=kind,
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    # The file goes to storage first; if the row then fails, kept_with removes it again.
    with kept_with() as store, transaction.atomic():
        store(attachment.file, file)
        attachment.save()
    return attachment


def attachments_claim(*, actor, ids: Sequence[int], case: Case, event: CaseEvent | None) -> list[Attachment]:
    """Bind the caller's own unbound uploads to a case (and its event); all or none."""
    wanted = set(ids)
    if not wanted:
        return []
    if len(wanted) > MAX_PER_ACT:
        raise BadAttachment(f"一次最多 {MAX_PER_ACT} 个附件", f"at most {MAX_PER_ACT} attachments at once")
    rows = list(
        Attachment.objects.select_for_update().filter(pk__in=wanted, uploaded_by=actor, case__isnull=True)
    )
    missing = wanted - {a.pk for a in rows}
    if missing:
        raise BadAttachment(
            f"附件 {sorted(missing)} 不存在、不是本人上传或已被使用",
            f"attachment(s) {sorted(missing)} do not exist, are not yours, or are already used",
        )
    Attachment.objects.filter(pk__in=wanted).update(case=case, event=event)
    return rows


# --- reading ---------------------------------------------------------------------------------


def attachment_for(*, user, pk: int) -> Attachment:
    """The attachment, if `user` may read it: its case is in the user's scope, or it is the
    user's own upload not bound yet. Otherwise NotFound, the same as for a missing id."""
    found = Attachment.objects.filter(pk=pk).first()
    if found is not None and getattr(user, "is_authenticated", False):
        if found.case_id is None:
            if found.uploaded_by_id == user.pk:
                return found
        elif cases_visible(user).filter(pk=found.case_id).exists():
            return found
    raise NotFound(f"附件 {pk} 不存在", f"no attachment {pk}", code="attachment_not_found")


_UNSAFE = re.compile(r'[\\/"\x00-\x1f\x7f;]')


def download_name(name: str) -> str:
    """The file name to offer the browser: no folders, quotes, control characters or
    semicolons (a header cannot be split or a path walked); Chinese kept (RFC 5987 filename*)."""
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", PurePath(name or "").name)).strip(" .")
    return clean[:150] or "attachment"


def attachment_thumbnail(attachment: Attachment, *, pixels: int = THUMB_PIXELS) -> bytes | None:
    """A JPEG at most `pixels` on its longer side, for an image; None for other types or an
    image that cannot be decoded (the page then shows the link only)."""
    if attachment.content_type not in IMAGES:
        return None
    from PIL import Image, ImageOps

    try:
        with attachment.file.open("rb") as fh, Image.open(fh) as image:
            if image.width * image.height > THUMB_MAX_SOURCE_PIXELS:
                return None
            image.draft("RGB", (pixels, pixels))  # JPEG: decode at a reduced scale, much faster
            shown = ImageOps.exif_transpose(image).convert("RGB")
            shown.thumbnail((pixels, pixels))
            out = io.BytesIO()
            shown.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
