"""Queue a task so that it exists only if the caller's transaction commits."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import connections, router, transaction
from django.tasks import Task
from django.utils.json import normalize_json


def enqueue_on_commit[**P, T](task: Task[P, T], *args: P.args, **kwargs: P.kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits.

    When the queue lives in the same database as the open transaction (stage 1
    and 2), the row is written inside that transaction: it becomes visible to
    workers exactly when the caller's writes do, and disappears with them on
    rollback, with no window where a crash loses it. Otherwise (no transaction,
    or the queue in another database) the task is queued after commit.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if isinstance(task.get_backend(), DatabaseBackend):
        queue_db = router.db_for_write(DBTaskResult)
        if connections[queue_db].in_atomic_block:
            task.enqueue(*args, **kwargs)
            return
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=False)


def enqueue_many_on_commit[**P, T](task: Task[P, T], calls: list[tuple[Any, ...]]) -> None:
    """Queue ``task(*args)`` for each ``args`` in ``calls``, in one INSERT.

    Same guarantee as :func:`enqueue_on_commit`: with the queue in the open
    transaction's database the rows are written in that transaction, so a
    fan-out to hundreds of people adds one statement, not hundreds.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not calls:
        return
    backend = task.get_backend()
    queue_db = router.db_for_write(DBTaskResult)
    if isinstance(backend, DatabaseBackend) and connections[queue_db].in_atomic_block:
        backend.validate_task(task)
        DBTaskResult.objects.using(queue_db).bulk_create(
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after or get_date_max(),
                backend_name=backend.alias,
            )
            for args in calls
        )
        return
    for args in calls:
        transaction.on_commit(partial(task.enqueue, *args), robust=False)
