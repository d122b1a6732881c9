"""Row-level operations on the queue table (django-tasks-db's DBTaskResult).

Every change to a claimed row is a conditional UPDATE on (id, RUNNING,
started_at): if the row was meanwhile recovered and claimed again by another
worker, the late writer changes nothing instead of overwriting that run.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from traceback import format_exception
from typing import Any

from django.db import OperationalError
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.json import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from monoboard.jobs.policy import backoff_delay, policy_for

type Row = DBTaskResult[Any, Any]


def attempts(row: Row) -> int:
    """How many times the row was claimed (each claim adds its worker id)."""
    return len(row.worker_ids or [])


def claim_next(*, worker_id: str, queues: list[str], backend_name: str) -> Row | None:
    """Take the next ready task for this worker, or None (also when the DB is busy)."""
    tasks = DBTaskResult.objects.ready().filter(backend_name=backend_name)
    if queues and "*" not in queues:
        tasks = tasks.filter(queue_name__in=queues)
    try:
        with exclusive_transaction(tasks.db):
            row: Row | None = tasks.get_locked()
            if row is not None:
                row.claim(worker_id)
            return row
    except OperationalError as exc:
        if is_locked_database_exception(exc):
            return None
        raise


def _still_ours(row: Row) -> QuerySet[Row]:
    return DBTaskResult.objects.filter(
        id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
    )


def _apply(row: Row, changes: dict[str, Any]) -> bool:
    """Conditionally update the row; on success mirror the changes on ``row``."""
    if not _still_ours(row).update(**changes):
        return False
    for field, value in changes.items():
        setattr(row, field, value)
    return True


def mark_succeeded(row: Row, return_value: object) -> bool:
    return _apply(
        row,
        {
            "status": TaskResultStatus.SUCCESSFUL,
            "finished_at": timezone.now(),
            "return_value": normalize_json(return_value),
            "exception_class_path": "",
            "traceback": "",
        },
    )


def _error_fields(exc: BaseException) -> dict[str, str]:
    return {
        "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(format_exception(exc)),
    }


def mark_failed(
    row: Row,
    exc: BaseException,
    *,
    retryable: bool = True,
    rand: Callable[[], float] = random.random,
) -> str:
    """Record a failed attempt: back to ready after a backoff, or failed for good.

    Returns "retry", "failed", or "lost" when the row was no longer ours.
    """
    policy = policy_for(row.task_path)
    done = attempts(row)
    now = timezone.now()
    if retryable and done < policy.max_attempts:
        delay = backoff_delay(done, policy, rand)
        retry_at = now + datetime.timedelta(seconds=delay)
        changes = {"status": TaskResultStatus.READY, "run_after": retry_at, **_error_fields(exc)}
        return "retry" if _apply(row, changes) else "lost"
    changes = {
        "status": TaskResultStatus.FAILED,
        "finished_at": now,
        "return_value": None,
        **_error_fields(exc),
    }
    return "failed" if _apply(row, changes) else "lost"


def release(row: Row) -> bool:
    """Give a claimed task back to the queue untried (worker shutting down)."""
    changes = {
        "status": TaskResultStatus.READY,
        "run_after": get_date_max(),
        "worker_ids": list(row.worker_ids[:-1]),
    }
    return _apply(row, changes)


class WorkerLost(Exception):
    """The worker running this task stopped beating its heartbeat."""


def recover_orphans(*, live_worker_ids: set[str], lease_s: float) -> tuple[int, int]:
    """Put back tasks left RUNNING by workers that died; (requeued, failed)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=lease_s)
    requeued = failed = 0
    for row in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        last_worker = row.worker_ids[-1] if row.worker_ids else None
        if last_worker in live_worker_ids:
            continue
        outcome = mark_failed(
            row, WorkerLost(f"worker {last_worker} died while running this task"), rand=lambda: 0.0
        )
        requeued += outcome == "retry"
        failed += outcome == "failed"
    return requeued, failed
