"""Queue a task so that it exists only if the caller's transaction commits."""

from __future__ import annotations

from functools import partial

from django.db import connections, router, transaction
from django.tasks import Task


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
