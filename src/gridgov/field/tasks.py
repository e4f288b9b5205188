"""Background job of the field app: today's default patrol plans (巡查计划), run by
`gridgov worker` on a schedule. Idempotent, so running it every hour is harmless and a day whose
first run was missed still gets its plans."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from gridgov.core import clock
from gridgov.field.services import patrol_plans_ensure_for_day


@task()
def patrol_plans_today() -> dict[str, int]:
    now = clock.now()
    return {"plans": patrol_plans_ensure_for_day(day=timezone.localdate(now), now=now)}
