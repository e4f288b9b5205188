from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration_zh(value: timedelta | None) -> str:
    """1 小时 30 分钟: how long a lockout lasts, as a person says it."""
    if not value:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} 小时")
    if minutes:
        parts.append(f"{minutes} 分钟")
    return " ".join(parts)
