"""Channels a notification goes out through, beside the in-app one (always on).

Chosen by name or dotted path in `settings.GRIDGOV["NOTIFY_BACKENDS"]`, else the environment
variable GRIDGOV_NOTIFY_BACKENDS (comma-separated), else `["log"]`:

- `log`: writes one line per message to the `gridgov.notify.log` logger (the default, and what
  a deployment without an SMS contract runs);
- an SMS provider: subclass `SmsBackend`, implement `deliver(phone, text) -> provider id` and
  (if the user model does not carry the number) `phone_for(user)`, and name the class by its
  dotted path. Raise `DeliveryError(retry=True)` for a temporary failure (rate limit, timeout):
  the worker tries again later; `retry=False` gives up.

A backend must be safe to call again for the same message after a crash (the one window where
a message can be sent twice is between the provider accepting it and our row saying so); pass
`message.key` to the provider as its idempotency / client reference where it accepts one.
"""

from __future__ import annotations

import abc
import logging
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

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

    @abc.abstractmethod
    def send(self, message: Message, *, user: Any) -> None: ...


class LogBackend(Backend):
    name = "log"

    def send(self, message: Message, *, user: Any) -> None:
        log.info(
            "notify user=%s kind=%s case=%s key=%s title=%s",
            user.username, message.kind, message.case_number, message.key, message.title,
        )  # fmt: skip


class SmsBackend(Backend):
    """The adapter shape for an SMS gateway (运营商短信网关, 政务短信平台)."""

    name = "sms"
    max_length = 300

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


ALIASES = {"log": "gridgov.notify.backends.LogBackend"}


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
