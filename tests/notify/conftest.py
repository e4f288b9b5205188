"""Notify tests: the cases fixtures, and a small SMS gateway served on 127.0.0.1 by a real HTTP
server in a thread (the shape `notify.backends.HttpSmsBackend` speaks), which records what it
is sent and answers as the test tells it to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.cases.conftest import _media, _pii_keys, _quick_passwords, monday  # noqa: F401


@dataclass
class Gateway:
    url: str
    received: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    # The statuses of the next answers (then 200 for ever): e.g. [503, 503] fails twice.
    answers: list[int] = field(default_factory=list)
    hits: int = 0


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            gw.hits += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = gw.answers.pop(0) if gw.answers else 200
            if status == 200:
                gw.received.append(json.loads(body))
                gw.headers.append(dict(self.headers))
                answer = {"id": f"gw-{len(gw.received)}"}
            else:
                answer = {"error": "网关繁忙" if status >= 500 else "号码无效"}
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gw.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sms_http(settings, gateway):
    """The platform configured to send SMS through the test gateway (and the log)."""
    settings.GRIDGOV = {
        **settings.GRIDGOV,
        "NOTIFY_BACKENDS": ["log", "sms_http"],
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": "test-token",
        "SMS_GATEWAY_TIMEOUT": 2,
    }
    return gateway
