"""Drop the cached calendar as soon as this process edits the overrides or the business hours."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.sla.models import BusinessHours, CalendarDay
from gridgov.sla.selectors import calendar_cache_clear


@receiver(post_save, sender=CalendarDay, dispatch_uid="gridgov.sla.day_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="gridgov.sla.day_deleted")
@receiver(post_save, sender=BusinessHours, dispatch_uid="gridgov.sla.hours_saved")
@receiver(post_delete, sender=BusinessHours, dispatch_uid="gridgov.sla.hours_deleted")
def _calendar_changed(sender: Any, **kwargs: Any) -> None:
    calendar_cache_clear()
