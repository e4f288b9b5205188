"""Readers of the bulk domain: the import jobs a user may see (their own; a superuser all)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gridgov.bulk.models import ImportJob
from gridgov.core.errors import NotFound


def jobs_visible(user: Any) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("actor")
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(actor_id=user.pk)


def job_for(user: Any, job_id: int) -> ImportJob:
    job = jobs_visible(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound("找不到该导入任务", "no such import job")
    return job
