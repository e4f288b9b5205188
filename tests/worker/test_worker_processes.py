"""Real worker processes on a shared database: claims, and a worker killed mid-job."""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gridgov.accounts.enums import Role
from gridgov.accounts.models import User
from gridgov.notify.models import Notification
from gridgov.notify.worker import Schedule, schedule_due
from tests.worker.conftest import wait_for
from tests.worker.jobs import record, two_steps


def _all_done(ids: list[str]) -> bool:
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.SUCCESSFUL).count() == len(ids)


# Static, so pytest-django sets the test database up (it only looks at what tests declare).
processes = pytest.mark.django_db(transaction=True)


@processes
def test_two_workers_never_run_the_same_task_twice(workers, tmp_path):
    out = tmp_path / "runs.txt"
    ids = [str(record.enqueue(str(out), f"job{i:02d}", 0.02).id) for i in range(40)]
    workers.start()
    workers.start()
    wait_for(lambda: _all_done(ids), what=lambda: f"40 tasks done; logs:\n{workers.logs()}")
    runs = Counter(line.split()[0] for line in out.read_text().splitlines())
    assert runs == Counter({f"job{i:02d}": 1 for i in range(40)})
    assert all(len(r.worker_ids) == 1 for r in DBTaskResult.objects.filter(pk__in=ids))


@processes
def test_a_worker_killed_mid_job_has_its_job_done_again_exactly_once(workers, tmp_path):
    user = User.objects.create(username="kill-test", role=Role.DISPATCHER)
    task_id = str(two_steps.enqueue(str(tmp_path), user.pk).id)
    a = workers.start("--lease", "2", "--beat-every", "0.3")
    starts = tmp_path / "starts"
    wait_for(starts.exists, what=lambda: f"the job to start; logs:\n{workers.logs()}")
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=10)
    stuck = DBTaskResult.objects.get(pk=task_id)
    assert stuck.status == TaskResultStatus.RUNNING  # the library alone would leave it so for ever
    assert Notification.objects.filter(key="two-steps:1").count() == 1  # the first step was done

    (tmp_path / "release").touch()
    workers.start("--lease", "2", "--beat-every", "0.3")
    wait_for(lambda: _all_done([task_id]), what=lambda: f"the job redone; logs:\n{workers.logs()}")
    assert len(starts.read_text().splitlines()) == 2  # run twice in all …
    result = DBTaskResult.objects.get(pk=task_id)
    assert len(result.worker_ids) == 2 and result.worker_ids[0] != result.worker_ids[1]
    # … and every effect is there exactly once.
    assert Notification.objects.filter(user=user, key="two-steps:1").count() == 1
    assert Notification.objects.filter(user=user, key="two-steps:2").count() == 1
    assert "reclaimed from lost worker" in workers.logs()


def test_a_period_is_enqueued_once_and_not_while_the_last_run_is_pending(db):
    from gridgov.cases.tasks import deadline_scan

    s = Schedule("cases.deadline_scan", deadline_scan, 60)
    assert schedule_due([s], wall=lambda: 6000.0) == ["cases.deadline_scan"]
    assert schedule_due([s], wall=lambda: 6010.0) == []  # same period
    assert schedule_due([s], wall=lambda: 6070.0) == []  # next period, but the last is still queued
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    assert schedule_due([s], wall=lambda: 6080.0) == ["cases.deadline_scan"]
    assert DBTaskResult.objects.filter(task_path=deadline_scan.module_path).count() == 2
