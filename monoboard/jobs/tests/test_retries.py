"""Retries with backoff, the failed state, and plain success, through the worker."""

from __future__ import annotations

import datetime

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from monoboard.jobs.policy import RetryPolicy, backoff_delay
from monoboard.jobs.queue import attempts
from monoboard.jobs.tests import tasks
from monoboard.jobs.worker import Worker, WorkerConfig

pytestmark = pytest.mark.django_db


def make_worker() -> Worker:
    return Worker(WorkerConfig(queues=["*"]), worker_id="test-worker")


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay_s=10.0, max_delay_s=60.0)
    lowest = [backoff_delay(n, policy, rand=lambda: 0.0) for n in range(1, 6)]
    highest = [backoff_delay(n, policy, rand=lambda: 1.0) for n in range(1, 6)]
    assert highest == [10.0, 20.0, 40.0, 60.0, 60.0]
    assert lowest == [5.0, 10.0, 20.0, 30.0, 30.0]


def test_a_task_runs_and_its_result_is_kept() -> None:
    result = tasks.add.enqueue(2, 3)
    assert make_worker().work_once()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 5
    assert not make_worker().work_once()  # nothing left


def test_a_failure_is_retried_later_within_the_backoff_window() -> None:
    result = tasks.fails_with_backoff.enqueue()
    before = timezone.now()
    make_worker().work_once()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.READY
    assert attempts(row) == 1
    assert row.exception_class_path == "builtins.RuntimeError"
    wait = (row.run_after - before).total_seconds()
    assert 5.0 <= wait <= 10.5  # first retry: between half and all of the 10 s base
    assert not make_worker().work_once()  # not due yet

    # Make it due and fail again: the second wait is between 10 and 20 s.
    DBTaskResult.objects.filter(id=result.id).update(run_after=timezone.now())
    before = timezone.now()
    make_worker().work_once()
    row.refresh_from_db()
    assert attempts(row) == 2
    assert 10.0 <= (row.run_after - before).total_seconds() <= 20.5


def test_after_max_attempts_the_task_is_failed_with_its_error() -> None:
    result = tasks.always_fails.enqueue("boom")
    worker = make_worker()
    for _ in range(3):
        assert worker.work_once()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert attempts(row) == 3
    assert "RuntimeError: boom" in row.traceback
    assert row.finished_at is not None
    assert not worker.work_once()  # failed tasks are not picked up again


def test_a_task_whose_code_is_gone_fails_at_once() -> None:
    result = tasks.add.enqueue(1, 1)
    DBTaskResult.objects.filter(id=result.id).update(task_path="monoboard.jobs.tests.tasks.gone")
    make_worker().work_once()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert attempts(row) == 1


def test_a_late_writer_does_not_overwrite_a_newer_run() -> None:
    """If a task was recovered and claimed again, the first worker's result is dropped."""
    from monoboard.jobs import queue

    tasks.add.enqueue(1, 2)
    row = queue.claim_next(worker_id="slow", queues=["*"], backend_name="default")
    assert row is not None
    DBTaskResult.objects.filter(id=row.id).update(started_at=timezone.now() + datetime.timedelta(1))
    assert not queue.mark_succeeded(row, 3)
    assert DBTaskResult.objects.get(id=row.id).status == TaskResultStatus.RUNNING
