"""``manage.py runworker`` called as a command, in batch mode."""

from __future__ import annotations

import signal

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from monoboard.jobs.models import WorkerHeartbeat
from monoboard.jobs.tests import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_batch_runs_everything_due_in_the_queues_asked_then_exits() -> None:
    handler_before = signal.getsignal(signal.SIGTERM)
    for n in range(5):
        tasks.add.enqueue(n, n)
    other_queue = tasks.add.using(queue_name="email").enqueue(10, 10)

    call_command(
        "runworker", "--batch", "--concurrency", "2", "--queues", "default", "--no-schedules"
    )

    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    assert sorted(row.return_value for row in done) == [0, 2, 4, 6, 8]
    assert DBTaskResult.objects.get(id=other_queue.id).status == TaskResultStatus.READY
    assert not WorkerHeartbeat.objects.exists()  # it signed off
    assert signal.getsignal(signal.SIGTERM) == handler_before  # handlers restored

    call_command("runworker", "--batch", "--queues", "email,other", "--no-schedules")
    assert DBTaskResult.objects.get(id=other_queue.id).status == TaskResultStatus.SUCCESSFUL
