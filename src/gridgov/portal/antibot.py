"""Cheap defences against scripts filling the public forms: a honeypot field people never see,
and a signed form token that says when the form was given out (a person needs a few seconds to
fill it; a token from hours ago is stale)."""

from __future__ import annotations

from datetime import datetime

from django.core import signing

from gridgov.core.errors import InvalidInput
from gridgov.portal.conf import conf

SALT = "gridgov.portal.form"
HONEYPOT = "website"  # a field named to tempt a bot; hidden from people by CSS and aria


def form_token(*, now: datetime) -> str:
    return signing.dumps({"t": now.timestamp()}, salt=SALT, compress=True)


def form_check(*, token: str, honeypot: str, now: datetime) -> None:
    if honeypot:
        raise InvalidInput(
            "提交未通过校验,请刷新页面后重试",
            "the submission failed a check; reload and retry",
            code="bot_suspected",
        )
    try:
        issued = float(signing.loads(token or "", salt=SALT)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInput(
            "表单已失效,请刷新页面后重新填写", "the form token is missing or invalid; reload the form",
            code="bad_form_token",
        ) from None  # fmt: skip
    age = now.timestamp() - issued
    c = conf()
    if age < c.min_fill_seconds:
        raise InvalidInput(
            f"提交过快,请在 {c.min_fill_seconds} 秒后再提交", "submitted too fast for a person; please retry",
            code="too_fast",
        )  # fmt: skip
    if age > c.max_fill_seconds:
        raise InvalidInput(
            "表单已过期,请刷新页面后重新填写", "the form expired; reload it", code="form_expired"
        )
