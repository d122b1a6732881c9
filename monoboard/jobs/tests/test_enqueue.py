"""enqueue_on_commit: the task exists only if the caller's transaction commits."""

from __future__ import annotations

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
