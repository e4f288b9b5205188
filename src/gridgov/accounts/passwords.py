from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext


class CharacterClassValidator:
    """At least three of: lower case, upper case, digits, other characters (等保 2.0 asks for
    complexity, not just length)."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                gettext("The password needs at least three of: lower case, upper case, digits, symbols."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return gettext("Your password needs at least three of: lower case, upper case, digits, symbols.")
