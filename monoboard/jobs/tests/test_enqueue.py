"""enqueue_on_commit: the task exists only if the caller's transaction commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from monoboard.jobs import enqueue_on_commit
from monoboard.jobs.tests import tasks

pytestmark = pytest.mark.django_db


class Abort(Exception):
    pass


def enqueue_then_fail() -> None:
    with transaction.atomic():
        enqueue_on_commit(tasks.add, 1, 2)
        assert DBTaskResult.objects.count() == 1  # visible to this transaction only
        raise Abort


def test_nothing_is_queued_when_the_transaction_rolls_back() -> None:
    with pytest.raises(Abort):
        enqueue_then_fail()
    assert DBTaskResult.objects.count() == 0


def test_the_task_is_queued_with_its_arguments_when_the_transaction_commits() -> None:
    with transaction.atomic():
        enqueue_on_commit(tasks.add, 1, b=2)
    row = DBTaskResult.objects.get()
    assert row.task_path == "monoboard.jobs.tests.tasks.add"
    assert row.args_kwargs == {"args": [1], "kwargs": {"b": 2}}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_task_is_queued_at_once() -> None:
    enqueue_on_commit(tasks.noop)
    assert DBTaskResult.objects.count() == 1


def test_many_tasks_go_in_with_one_insert_and_run_like_any_other(
    django_assert_num_queries: Any,
) -> None:
    from monoboard.jobs import enqueue_many_on_commit
    from monoboard.jobs.worker import Worker, WorkerConfig

    def enqueue_many_then_fail() -> None:
        with transaction.atomic():
            enqueue_many_on_commit(tasks.add, [(1, 2), (3, 4)])
            raise Abort

    with pytest.raises(Abort):
        enqueue_many_then_fail()
    assert DBTaskResult.objects.count() == 0  # gone with the rollback

    with transaction.atomic(), django_assert_num_queries(1):
        enqueue_many_on_commit(tasks.add, [(i, i) for i in range(50)])
    assert DBTaskResult.objects.count() == 50
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="many")
    while worker.work_once():
        pass
    results = sorted(r.return_value for r in DBTaskResult.objects.all())
    assert results == sorted(2 * i for i in range(50))
