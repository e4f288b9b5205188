"""Attachments read back over HTTP: `GET /api/v1/cases/attachments/{id}` (this router, mounted at
`/cases/attachments`) and the pages' `/cases/attachments/<id>` (views.py) share the response
built here. Scoped like the case: a reader who may not see the case gets a 404, not the file."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Router

from gridgov.cases.models import Attachment
from gridgov.cases.services.attachments import IMAGES, attachment_for, attachment_thumbnail, download_name
from gridgov.core.errors import NotFound


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    """The stored file with its sniffed content type. Only images are shown inline; everything
    else is a download. Content-Disposition carries a cleaned name (ASCII fallback plus the UTF-8
    `filename*`); nosniff and a sandboxing CSP keep a crafted file from running as a page."""
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not (inline and attachment.content_type in IMAGES),
        filename=download_name(attachment.name),
    )
    _harden(response)
    return response


def thumbnail_response(attachment: Attachment) -> HttpResponse:
    data = attachment_thumbnail(attachment)
    if data is None:
        raise NotFound("该附件没有缩略图", "this attachment has no thumbnail", code="no_thumbnail")
    response = HttpResponse(data, content_type="image/jpeg")
    _harden(response)
    return response


def _harden(response: HttpResponseBase) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    # Scoped content: browsers may keep it, shared caches may not.
    response["Cache-Control"] = "private, max-age=3600"


def make_router() -> Router:
    """A new router each call (a ninja router belongs to one API): the project's API mounts
    `router`; tests may mount their own."""
    r = Router(tags=["cases"])

    @r.get("/{attachment_id}", response={200: None}, url_name="case-attachment")
    def download(request: HttpRequest, attachment_id: int, inline: bool = False) -> HttpResponseBase:
        return attachment_response(attachment_for(user=request.user, pk=attachment_id), inline=inline)

    @r.get("/{attachment_id}/thumbnail", response={200: None}, url_name="case-attachment-thumbnail")
    def thumbnail(request: HttpRequest, attachment_id: int) -> HttpResponse:
        return thumbnail_response(attachment_for(user=request.user, pk=attachment_id))

    return r


router = make_router()
