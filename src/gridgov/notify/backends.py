"""Channels a notification goes out through, beside the in-app one (always on).

Chosen by name or dotted path in `settings.GRIDGOV["NOTIFY_BACKENDS"]`, else the environment
variable GRIDGOV_NOTIFY_BACKENDS (comma-separated), else `["log"]`:

- `log`: writes one line per message to the `gridgov.notify.log` logger (the default, and what
  a deployment without an SMS contract runs);
- `sms_http`: `HttpSmsBackend`, a JSON-over-HTTP SMS gateway (the shape most 政务短信平台 and
  carriers' HTTP interfaces take; settings below);
- another SMS provider: subclass `SmsBackend`, implement `deliver(phone, text, reference=) ->
  provider id` (`phone_for(user)` reads the user's encrypted `phone` already), and name the
  class by its dotted path. Raise `DeliveryError(retry=True)` for a temporary failure (rate
  limit, timeout): the worker tries again later, with backoff; `retry=False` gives up.

Staff users are reached through `send(message, user=)`; citizens (a case's reporter, who has no
account) through `send_text(phone, text, reference=)`, on the backends with `texts_phones`.

A backend must be safe to call again for the same message after a crash (the one window where
a message can be sent twice is between the provider accepting it and our row saying so); pass
`message.key` to the provider as its idempotency / client reference where it accepts one.
"""

from __future__ import annotations

import abc
import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from gridgov.core.pii import mask_phone

log = logging.getLogger("gridgov.notify.log")


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    case_number: str
    title: str
    body: str


class DeliveryError(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Backend(abc.ABC):
    name = ""
    texts_phones = False  # whether send_text can reach a citizen's phone

    @abc.abstractmethod
    def send(self, message: Message, *, user: Any) -> None: ...

    def send_text(self, phone: str, text: str, *, reference: str) -> None:
        raise DeliveryError(f"{self.name} cannot text a phone", retry=False)


class LogBackend(Backend):
    name = "log"
    texts_phones = True

    def send(self, message: Message, *, user: Any) -> None:
        log.info(
            "notify user=%s kind=%s case=%s key=%s title=%s",
            user.username, message.kind, message.case_number, message.key, message.title,
        )  # fmt: skip

    def send_text(self, phone: str, text: str, *, reference: str) -> None:
        # The number masked: a log is read by more people than the database.
        log.info("text phone=%s key=%s text=%s", mask_phone(phone), reference, text)


class SmsBackend(Backend):
    """The adapter shape for an SMS gateway (运营商短信网关, 政务短信平台)."""

    name = "sms"
    max_length = 300
    texts_phones = True

    def phone_for(self, user: Any) -> str | None:
        return getattr(user, "phone", None) or None

    def text_for(self, message: Message) -> str:
        text = f"【{getattr(settings, 'GRIDGOV', {}).get('SITE_NAME', '')}】{message.title}"
        if message.case_number:
            text += f" 事件编号 {message.case_number}"
        return text[: self.max_length]

    @abc.abstractmethod
    def deliver(self, phone: str, text: str, *, reference: str) -> str:
        """Hand the text to the gateway; return the gateway's message id. A deployment subclasses
        this for its own gateway and names the subclass in GRIDGOV_NOTIFY_BACKENDS."""

    def send(self, message: Message, *, user: Any) -> None:
        phone = self.phone_for(user)
        if not phone:
            raise DeliveryError(f"no phone number for {user.username}", retry=False)
        self.deliver(phone, self.text_for(message), reference=message.key)

    def send_text(self, phone: str, text: str, *, reference: str) -> None:
        self.deliver(phone, text[: self.max_length], reference=reference)


def _setting(name: str, default: str = "") -> str:
    value = getattr(settings, "GRIDGOV", {}).get(name)
    return str(value) if value is not None else os.environ.get(f"GRIDGOV_{name}", default)


class HttpSmsBackend(SmsBackend):
    """An SMS gateway reached by HTTP: `POST <SMS_GATEWAY_URL>` with the JSON body
    `{"phone": "13812345678", "text": "…", "reference": "<message key>"}` and, when
    SMS_GATEWAY_TOKEN is set, `Authorization: Bearer <token>`. A 2xx answer is accepted (its JSON
    `id`, if any, is the gateway's message id). 429, 5xx, timeouts and refused connections are
    temporary (tried again with backoff); any other 4xx is permanent (a bad number, say).

    Settings (`settings.GRIDGOV[...]` or the environment variable `GRIDGOV_<NAME>`), read at
    each send so a changed setting needs no restart of the worker's backend cache:
    SMS_GATEWAY_URL (required), SMS_GATEWAY_TOKEN, SMS_GATEWAY_TIMEOUT (seconds, default 5)."""

    name = "sms_http"

    def deliver(self, phone: str, text: str, *, reference: str) -> str:
        url = _setting("SMS_GATEWAY_URL")
        if not url.startswith(("http://", "https://")):
            raise DeliveryError(f"SMS_GATEWAY_URL is not an http(s) URL: {url!r}", retry=True)
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        token = _setting("SMS_GATEWAY_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps({"phone": phone, "text": text, "reference": reference}, ensure_ascii=False)
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
        timeout = float(_setting("SMS_GATEWAY_TIMEOUT", "5") or 5)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            temporary = exc.code == 429 or exc.code >= 500
            raise DeliveryError(f"gateway answered {exc.code}: {detail}", retry=temporary) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise DeliveryError(f"gateway unreachable: {exc}", retry=True) from None
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""


ALIASES = {"log": "gridgov.notify.backends.LogBackend", "sms_http": "gridgov.notify.backends.HttpSmsBackend"}


def configured_names() -> list[str]:
    names = getattr(settings, "GRIDGOV", {}).get("NOTIFY_BACKENDS")
    if names is None:
        env = os.environ.get("GRIDGOV_NOTIFY_BACKENDS")
        names = [n.strip() for n in env.split(",") if n.strip()] if env is not None else ["log"]
    return list(names)


@cache
def _load(path: str) -> Backend:
    backend = import_string(ALIASES.get(path, path))()
    if not isinstance(backend, Backend):
        raise TypeError(f"{path} is not a gridgov.notify.backends.Backend")
    if not backend.name:
        backend.name = path
    return backend


def backends() -> list[Backend]:
    return [_load(name) for name in configured_names()]
