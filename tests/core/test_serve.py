"""`gridgov serve` as a real process on a shared database, with each server it offers: the
pages (login through the form, CSRF and session cookie), static files, a multipart upload, an
intake with its attachment read back, the XLSX export, the API with a bearer token (no cookie
set for it), and a clean exit on SIGTERM."""

from __future__ import annotations

import io
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from PIL import Image

from gridgov.accounts.enums import Role
from gridgov.accounts.tokens import token_create
from tests.conftest import PASSWORD, _center, make_user
from tests.worker.conftest import GRIDGOV, ROOT, _env, _sqlite_template, shared_db  # noqa: F401

# Static, so pytest-django sets the test database up (it only looks at what tests declare).
processes = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


class Served:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_ready(served: Served, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise AssertionError(f"gridgov serve exited with {served.proc.returncode}:\n{served.logs()}")
        try:
            if requests.get(f"{served.url}/api/v1/openapi.json", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gridgov serve did not answer in {timeout} s:\n{served.logs()}")


@pytest.fixture(params=["granian", "gunicorn"])
def served(request, tmp_path) -> Iterator[Served]:
    db_url = request.getfixturevalue("shared_db")
    port = _free_port()
    log = tmp_path / "serve.log"
    env = dict(_env(db_url), GRIDGOV_VAR=str(tmp_path / "var"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [GRIDGOV, "serve", "--server", request.param, "--workers", "1", "--threads", "2",
             "--bind", f"127.0.0.1:{port}"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    s = Served(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(s)
        yield s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@processes
def test_serve_answers_pages_files_uploads_exports_and_stops_cleanly(served, world):
    seat = make_user("serve-seat", Role.DISPATCHER, center=_center(world.county))
    token = token_create(user=seat)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    # A static file, as whitenoise serves it.
    leaflet = requests.get(f"{served.url}/static/vendor/leaflet/leaflet.js", timeout=10)
    assert leaflet.status_code == 200
    assert b"Leaflet" in leaflet.content[:2000]

    # A page: log in through the form (CSRF token and cookie), then the home page as that user.
    browser = requests.Session()
    form = browser.get(f"{served.url}/login/", timeout=10)
    assert form.status_code == 200
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert match is not None
    login = browser.post(
        f"{served.url}/login/",
        data={"csrfmiddlewaretoken": match[1], "username": seat.username, "password": PASSWORD},
        headers={"Referer": f"{served.url}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert login.status_code == 302, login.text[:500]
    home = browser.get(f"{served.url}/", timeout=10)
    assert home.status_code == 200 and "/login/" not in home.url
    # The pages call the API with their session too.
    assert browser.get(f"{served.url}/api/v1/accounts/me", timeout=10).json()["username"] == seat.username

    # A multipart upload, an intake that binds it, the file read back byte for byte.
    png = _png()
    up = api.post(
        f"{served.url}/api/v1/cases/attachments", files={"file": ("photo.png", png, "image/png")}, timeout=30
    )
    assert up.status_code == 201, up.text
    body = {
        "channel": "hotline_12345",
        "category": "0101",
        "title": "楼道灯不亮",
        "region_code": world.community.code,
        "reporter": {"name": "张三", "phone": "13800000001"},
        "attachment_ids": [up.json()["id"]],
    }
    created = api.post(
        f"{served.url}/api/v1/cases",
        json=body,
        headers={"Idempotency-Key": "serve-test-0001"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert "Set-Cookie" not in created.headers  # a token call is given no session or CSRF cookie
    number = created.json()["number"]
    again = api.post(
        f"{served.url}/api/v1/cases",
        json=body,
        headers={"Idempotency-Key": "serve-test-0001"},
        timeout=30,
    )
    assert again.status_code == 200 and again.json()["number"] == number
    got = api.get(f"{served.url}/api/v1/cases/attachments/{up.json()['id']}", timeout=30)
    assert got.status_code == 200 and got.content == png

    # The XLSX export lists the case.
    export = api.get(f"{served.url}/api/v1/cases/export.xlsx", timeout=60)
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert any(row[0] == number for row in rows[1:])

    # Bad input is still a clear 4xx through the server.
    bad = api.post(f"{served.url}/api/v1/cases", json={"channel": "x"}, timeout=10)
    assert bad.status_code in (400, 422)

    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0, served.logs()
