"""Attachments: judged by their bytes, limited in size, bound to the case by the act that names them."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases.models import Attachment
from gridgov.cases.services import attachments as attachments_module
from tests.cases.conftest import Api, case_body, ok

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<doc/>")
    return buf.getvalue()


def _upload(api: Api, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return api.client.post(
        "/api/v1/cases/attachments", {"file": SimpleUploadedFile(name, data, content_type)}
    )


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("photo.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("report.docx", _docx(), "wordprocessingml"),
    ],
)
def test_images_and_documents_are_accepted_by_their_content(personas, name, data, kind):
    body = ok(_upload(Api(personas.city_dispatcher), name, data), 201)
    assert kind in body["content_type"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("virus.png", b"MZ\x90\x00" + b"\x00" * 64),  # an executable calling itself a photo
        ("photo.pdf", PNG),  # content and extension disagree
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 64),  # a zip that is not a document
        ("empty.png", b""),
    ],
)
def test_files_that_are_not_what_they_say_are_refused(personas, name, data):
    response = _upload(Api(personas.city_dispatcher), name, data)
    assert response.status_code in (400, 422)
    assert Attachment.objects.count() == 0


def test_a_file_over_the_limit_is_refused(personas, monkeypatch):
    monkeypatch.setattr(attachments_module, "MAX_BYTES", 32)
    response = _upload(Api(personas.city_dispatcher), "big.png", PNG)
    assert response.status_code == 422 and "MB" in response.json()["message_zh"]


def test_an_act_binds_the_callers_uploads_to_the_case_and_its_event(world, personas, monday):
    desk = Api(personas.city_dispatcher)
    photo = ok(_upload(desk, "crack.png", PNG), 201)["id"]
    number = ok(desk.create(case_body(world, attachment_ids=[photo])), 201)["number"]
    detail = ok(desk.get(number))
    assert [a["id"] for a in detail["attachments"]] == [photo]
    assert detail["events"][0]["attachments"][0]["name"] == "crack.png"
    # Used once only, and never someone else's.
    again = desk.create(case_body(world, attachment_ids=[photo]))
    assert again.status_code == 422
    theirs = ok(_upload(Api(personas.township_dispatcher), "x.png", PNG), 201)["id"]
    assert desk.act(number, "accept", attachment_ids=[theirs]).status_code == 422
    assert Attachment.objects.get(pk=theirs).case is None
