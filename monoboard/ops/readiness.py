"""``/readyz``: may this instance take traffic, writes included?

A load balancer sends traffic only to instances whose database answers, can
be written and has every migration applied. The write check is real but
cheap and leaves nothing behind: a transaction that takes the write lock
(SQLite's ``BEGIN IMMEDIATE``; on PostgreSQL a transaction id, refused by a
read-only server) and is rolled back. It waits for a busy lock at most
``PROBE_LOCK_WAIT_MS`` and reports how long it waited.

A configured Redis or replica that does not answer makes the answer
``degraded`` (still 200): the database serves everything without them.
"""

from __future__ import annotations

import time

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from monoboard.lib.bookkeeping import quick_transaction
from monoboard.lib.unavailable import RETRY_AFTER_S
from monoboard.replicas import health

PROBE_LOCK_WAIT_MS = 500


def write_probe(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Raise DatabaseError unless a write transaction can start now."""
    connection = connections[alias]
    with quick_transaction(PROBE_LOCK_WAIT_MS, alias=alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT txid_current()")
            else:
                cursor.execute("SELECT 1")
        transaction.set_rollback(True, using=alias)


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database can be written and every migration is applied."""
    started = time.perf_counter()
    try:
        write_probe()
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any failure means "do not send me traffic"
        waited_ms = round((time.perf_counter() - started) * 1000)
        body: dict[str, object] = {"status": "unavailable", "error": str(exc)[:200]}
        if isinstance(exc, DatabaseError) and "locked" in str(exc):
            body["error"] = f"database is locked: another writer held the lock over {waited_ms} ms"
            body["lock_wait_ms"] = waited_ms
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    if pending:
        return JsonResponse({"status": "migrating", "pending": len(pending)}, status=503)
    body = {"status": "ready", "write_ms": round((time.perf_counter() - started) * 1000, 1)}
    missing = accelerators_down()
    if missing:
        # Still serving correctly from the primary: take traffic, but say so.
        body |= {"status": "degraded", "down": missing}
    return JsonResponse(body)


def accelerators_down() -> list[str]:
    """Stage-4 parts that are configured but failing: Redis, replicas.

    Without them every page still answers from the primary database, more
    slowly, so they make an instance "degraded", never unavailable.
    """
    down: list[str] = []
    cache = caches["default"]
    ping = getattr(cache, "ping", None)
    if ping is not None and not ping():
        down.append("redis")
    down += [s.alias for s in health.statuses() if not s.up]
    return down
