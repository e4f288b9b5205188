"""Background job of the bulk domain, run by `gridgov worker`: an import uploaded through the
page. A worker killed mid-file leaves the job `running`; the task reclaimed and run again
(notify/worker.py) resumes it from its last committed batch (pipeline.py)."""

from __future__ import annotations

from django_tasks import task

from gridgov.bulk.models import ImportJob
from gridgov.bulk.pipeline import import_job_run


@task()
def run_import(job_id: int) -> str:
    job = ImportJob.objects.select_related("actor").get(pk=job_id)
    return str(import_job_run(job).status)
