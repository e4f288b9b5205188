"""Domain errors: a business rule said no. Each maps to a 4xx with a message in Chinese and English."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message_zh: str, message_en: str = "", *, code: str | None = None, **details: Any):
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        if code:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": f"{self.message_zh} / {self.message_en}",
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            **({"details": self.details} if self.details else {}),
        }


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
