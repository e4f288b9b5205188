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


# --- reading attachments back: scoped like the case ------------------------------------------

from urllib.parse import quote  # noqa: E402

from django.urls import include, path  # noqa: E402
from ninja import NinjaAPI  # noqa: E402
from PIL import Image  # noqa: E402

from gridgov.accounts.auth import BearerOrSession  # noqa: E402
from gridgov.cases.api_files import make_router  # noqa: E402
from gridgov.core.errors import DomainError  # noqa: E402

# The download router mounted as the project's API mounts it (at /api/v1/cases/attachments), in
# an API of its own so this test does not depend on src/gridgov/api.py's list of routers.
_files_api = NinjaAPI(urls_namespace="test-case-files", auth=BearerOrSession(), docs_url=None)
_files_api.add_router("/cases/attachments", make_router())


@_files_api.exception_handler(DomainError)
def _domain_error(request, exc):
    return _files_api.create_response(request, exc.as_dict(), status=exc.status)


urlpatterns = [path("api/v1/", _files_api.urls), path("", include("gridgov.urls"))]
files_urls = pytest.mark.urls(__name__)


def real_png(width: int = 800, height: int = 600) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo_case(world, personas, monday):
    """A case of the first county with a photo (odd name) and a document, by the city desk."""
    desk = Api(personas.city_dispatcher)
    photo = ok(_upload(desk, "楼道裂缝照片.png", real_png()), 201)["id"]
    # A browser may send a name with quotes, semicolons or line breaks (percent-escaped in the
    # multipart header); stored as given, it must not reach our response headers raw.
    Attachment.objects.filter(pk=photo).update(name='楼道"裂缝;照片\r\n.png')
    doc = ok(_upload(desk, "情况说明.docx", _docx()), 201)["id"]
    number = ok(desk.create(case_body(world, attachment_ids=[photo, doc])), 201)["number"]
    return type("PhotoCase", (), {"desk": desk, "photo": photo, "doc": doc, "number": number})


@files_urls
def test_the_api_sends_an_attachment_with_its_type_and_a_safe_file_name(photo_case):
    response = photo_case.desk.client.get(f"/api/v1/cases/attachments/{photo_case.photo}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == real_png()
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('楼道_裂缝_照片__.png')}" in disposition
    assert '"' not in disposition.split("filename*=")[1] and ";" not in disposition.split("filename*=")[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    # An image may be viewed in place; a document is always a download.
    inline = photo_case.desk.client.get(f"/api/v1/cases/attachments/{photo_case.photo}?inline=true")
    assert inline["Content-Disposition"].startswith("inline;")
    doc = photo_case.desk.client.get(f"/api/v1/cases/attachments/{photo_case.doc}?inline=true")
    assert doc["Content-Disposition"].startswith("attachment;") and "wordprocessingml" in doc["Content-Type"]
    # The case's detail names the same URL.
    detail = ok(photo_case.desk.get(photo_case.number))
    assert {a["url"] for a in detail["attachments"]} == {
        f"/api/v1/cases/attachments/{photo_case.photo}",
        f"/api/v1/cases/attachments/{photo_case.doc}",
    }


@files_urls
def test_a_reader_outside_the_cases_scope_gets_a_404_not_the_file(photo_case, personas):
    for user in (personas.other_county_leader, personas.housing_handler):
        response = Api(user).client.get(f"/api/v1/cases/attachments/{photo_case.photo}")
        assert response.status_code == 404
        assert response.json()["code"] == "attachment_not_found"
        assert b"PNG" not in response.content
    assert Api(personas.other_county_leader).client.get("/api/v1/cases/attachments/999999").status_code == 404
    thumb = Api(personas.other_county_leader).client.get(
        f"/api/v1/cases/attachments/{photo_case.photo}/thumbnail"
    )
    assert thumb.status_code == 404


@files_urls
def test_an_unbound_upload_is_readable_by_its_uploader_only(personas, world):
    mine = ok(_upload(Api(personas.city_dispatcher), "photo.png", PNG), 201)["id"]
    assert Api(personas.city_dispatcher).client.get(f"/api/v1/cases/attachments/{mine}").status_code == 200
    assert Api(personas.county_leader).client.get(f"/api/v1/cases/attachments/{mine}").status_code == 404


@files_urls
def test_an_image_has_a_small_jpeg_thumbnail_and_a_document_has_none(photo_case):
    response = photo_case.desk.client.get(f"/api/v1/cases/attachments/{photo_case.photo}/thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(response.content))
    assert max(thumb.size) == 240 and thumb.size == (240, 180)
    none = photo_case.desk.client.get(f"/api/v1/cases/attachments/{photo_case.doc}/thumbnail")
    assert none.status_code == 404 and none.json()["code"] == "no_thumbnail"


def test_the_pages_download_endpoint_is_scoped_the_same_way(photo_case, personas, client):
    from django.urls import reverse

    url = reverse("cases:attachment", args=[photo_case.photo])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(personas.city_dispatcher)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client.get(reverse("cases:attachment-thumbnail", args=[photo_case.photo])).status_code == 200
    page = client.get(reverse("cases:detail", args=[photo_case.number])).content.decode()
    assert f'src="{reverse("cases:attachment-thumbnail", args=[photo_case.photo])}"' in page
    assert f'href="{url}"' in page and "情况说明.docx" in page
    client.force_login(personas.other_county_leader)
    assert client.get(url).status_code == 404
    assert client.get(reverse("cases:attachment-thumbnail", args=[photo_case.photo])).status_code == 404


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ('a"b;c.pdf', "a_b_c.pdf"),
        ("报告\r\nSet-Cookie: x.pdf", "报告__Set-Cookie: x.pdf"),
        ("", "attachment"),
        ("...", "attachment"),
    ],
)
def test_a_download_name_has_no_folders_quotes_or_header_breaks(name, shown):
    assert attachments_module.download_name(name) == shown
