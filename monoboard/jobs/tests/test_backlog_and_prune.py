"""The backlog figure and the cleanup of old finished tasks."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from monoboard.jobs import selectors
from monoboard.jobs.tasks import prune_finished_jobs
from monoboard.jobs.tests import tasks
from monoboard.jobs.worker import Worker, WorkerConfig

pytestmark = pytest.mark.django_db


def test_backlog_counts_ready_tasks_their_age_and_recent_failures() -> None:
    empty = selectors.backlog()
    assert (empty.ready, empty.oldest_ready_age_s, empty.failed_last_hour) == (0, 0.0, 0)

    first = tasks.add.enqueue(1, 1)
    tasks.add.enqueue(2, 2)
    tasks.add.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue(3, 3)
    ten_min_ago = timezone.now() - datetime.timedelta(minutes=10)
    DBTaskResult.objects.filter(id=first.id).update(enqueued_at=ten_min_ago)
    figures = selectors.backlog()
    assert figures.ready == 2  # the deferred one is not due
    assert 599 <= figures.oldest_ready_age_s <= 660

    failed = tasks.always_fails.enqueue("x")
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="w")
    while worker.work_once():
        pass
    assert selectors.backlog().failed_last_hour == 1
    DBTaskResult.objects.filter(id=failed.id).update(
        finished_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert selectors.backlog().failed_last_hour == 0


def test_prune_deletes_only_finished_tasks_older_than_a_week(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("monoboard.jobs.tasks.BATCH_SIZE", 3)  # several batches
    old = timezone.now() - datetime.timedelta(days=8)
    for n in range(7):
        tasks.add.enqueue(n, n)
    keep_ready = tasks.add.enqueue(0, 0)
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="w")
    for _ in range(7):
        worker.work_once()
    recent = tasks.add.enqueue(9, 9)
    worker_rows = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    worker_rows.exclude(id=recent.id).update(finished_at=old)
    DBTaskResult.objects.filter(id=keep_ready.id).update(enqueued_at=old)

    assert prune_finished_jobs.call() == 7
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {
        uuid.UUID(keep_ready.id),
        uuid.UUID(recent.id),
    }
    assert prune_finished_jobs.call() == 0  # idempotent: a second run finds nothing


def test_durations_read_as_people_say_them() -> None:
    texts = [selectors.duration_text(s) for s in (0, 45, 60, 3599, 3600, 86400, 3 * 86400)]
    assert texts == ["0 s", "45 s", "1 min", "60 min", "1 h", "1 day", "3 days"]
