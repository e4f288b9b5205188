from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def num(value: object) -> str:
    """Thousands separators as Chinese statistics print them (1,234,567)."""
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "—"
