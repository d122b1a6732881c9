"""Row-level operations on the queue table (django-tasks-db's DBTaskResult).

Every change to a claimed row is a conditional UPDATE on (id, RUNNING,
started_at): if the row was meanwhile recovered and claimed again by another
worker, the late writer changes nothing instead of overwriting that run.
"""

from __future__ import annotations

import datetime
import functools
import random
from collections.abc import Callable
from traceback import format_exception
from typing import Any

from django.db import OperationalError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.json import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import is_locked_database_exception

from monoboard.jobs.policy import backoff_delay, policy_for

type Row = DBTaskResult[Any, Any]


def attempts(row: Row) -> int:
    """How many times the row was claimed (each claim adds its worker id)."""
    return len(row.worker_ids or [])


def claim_batch(
    *, worker_id: str, queues: list[str], backend_name: str, limit: int = 1
) -> list[Row]:
    """Claim up to ``limit`` ready tasks for this worker in one statement.

    One ``UPDATE ... RETURNING`` marks them RUNNING, stamps ``started_at``
    and appends ``worker_id`` (an attempt); on PostgreSQL the rows are
    picked with ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never
    wait on each other nor take the same row; on SQLite the statement holds
    the single write lock. Returned in queue order (priority, due time,
    enqueue time). Empty when none is ready, or when SQLite stays busy.
    """
    conn = connections[router.db_for_write(DBTaskResult)]
    only = [] if "*" in queues else list(queues)
    now = timezone.now()
    meta = DBTaskResult._meta
    started = meta.get_field("started_at").get_db_prep_value(now, conn)
    date_max = meta.get_field("run_after").get_db_prep_value(get_date_max(), conn)
    params: list[Any] = [started, worker_id, date_max, started, backend_name, *only, limit]
    try:
        with conn.cursor() as cursor:
            cursor.execute(_claim_sql(conn.alias, len(only)), params)
            rows = cursor.fetchall()
    except OperationalError as exc:
        if is_locked_database_exception(exc):
            return []
        raise
    claimed = [_from_db(conn, row) for row in rows]
    claimed.sort(key=lambda r: (-r.priority, r.run_after, r.enqueued_at))
    return claimed


def claim_next(*, worker_id: str, queues: list[str], backend_name: str) -> Row | None:
    """Claim the next ready task, or None."""
    rows = claim_batch(worker_id=worker_id, queues=queues, backend_name=backend_name)
    return rows[0] if rows else None


@functools.cache
def _claim_sql(alias: str, queue_count: int) -> str:
    """The claim statement; identifiers come from the model, values are params."""
    meta = DBTaskResult._meta
    qn = connections[alias].ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(str(f.column)) for f in meta.concrete_fields)
    queue_filter = f" AND queue_name IN ({', '.join(['%s'] * queue_count)})" if queue_count else ""
    pick = (
        f"SELECT id FROM {table} WHERE status = 'READY' "  # noqa: S608
        f"AND (run_after = %s OR run_after <= %s) AND backend_name = %s{queue_filter} "
        "ORDER BY priority DESC, run_after ASC, enqueued_at ASC LIMIT %s"
    )
    if connections[alias].vendor == "postgresql":
        # ARRAY(...) runs the locking subquery exactly once.
        append = "worker_ids || to_jsonb(%s::text)"
        where = f"id = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
    else:
        append = "json_insert(worker_ids, '$[#]', %s)"
        where = f"id IN ({pick})"
    return (
        f"UPDATE {table} SET status = 'RUNNING', started_at = %s, worker_ids = {append} "  # noqa: S608
        f"WHERE {where} AND status = 'READY' RETURNING {columns}"
    )


def _from_db(conn: BaseDatabaseWrapper, values: tuple[Any, ...]) -> Row:
    """A model instance from a raw row, through the fields' own converters."""
    fields = DBTaskResult._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        col = field.get_col(DBTaskResult._meta.db_table)
        for convert in [*conn.ops.get_db_converters(col), *field.get_db_converters(conn)]:
            value = convert(value, col, conn)
        converted.append(value)
    return DBTaskResult.from_db(conn.alias, [f.attname for f in fields], converted)


def _apply(row: Row, changes: dict[str, Any]) -> bool:
    """Conditionally update the row; on success mirror the changes on ``row``.

    One UPDATE on (id, RUNNING, started_at): the statement is built once per
    set of columns (the ORM's per-call query building cost about as much as
    the round trip itself), values go through the fields' own preparation.
    """
    conn = connections[router.db_for_write(DBTaskResult)]
    meta = DBTaskResult._meta
    names = tuple(changes)
    params = [_field(n).get_db_prep_save(changes[n], conn) for n in names]
    params += [
        meta.pk.get_db_prep_value(row.id, conn),
        TaskResultStatus.RUNNING.value,
        meta.get_field("started_at").get_db_prep_value(row.started_at, conn),
    ]
    with conn.cursor() as cursor:
        cursor.execute(_update_sql(conn.alias, names), params)
        if cursor.rowcount != 1:
            return False
    for field, value in changes.items():
        setattr(row, field, value)
    return True


def _field(name: str) -> Field[Any, Any]:
    field = DBTaskResult._meta.get_field(name)
    assert isinstance(field, Field)
    return field


@functools.cache
def _update_sql(alias: str, names: tuple[str, ...]) -> str:
    qn = connections[alias].ops.quote_name
    meta = DBTaskResult._meta
    sets = ", ".join(f"{qn(str(_field(n).column))} = %s" for n in names)
    return (
        f"UPDATE {qn(meta.db_table)} SET {sets} "  # noqa: S608
        "WHERE id = %s AND status = %s AND started_at = %s"
    )


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
    at_once: bool = False,
) -> str:
    """Record a failed attempt: back to ready after a backoff, or failed for good.

    ``at_once`` skips the backoff: the task did not fail, its worker died.
    Returns "retry", "failed", or "lost" when the row was no longer ours.
    """
    policy = policy_for(row.task_path)
    done = attempts(row)
    now = timezone.now()
    if retryable and done < policy.max_attempts:
        delay = 0.0 if at_once else backoff_delay(done, policy, rand)
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
        # The attempt counts (a task that kills its worker must not loop for
        # ever), but it runs again at once: the lease already cost the wait.
        outcome = mark_failed(
            row, WorkerLost(f"worker {last_worker} died while running this task"), at_once=True
        )
        requeued += outcome == "retry"
        failed += outcome == "failed"
    return requeued, failed
