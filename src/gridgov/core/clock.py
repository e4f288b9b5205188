"""The one place that reads the wall clock, so tests can freeze time and code stays explicit."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
