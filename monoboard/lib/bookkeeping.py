"""Writes that a request makes for its own records, never for the caller.

An API key's "last used" time, the slow-query log and the per-minute metric
rollups are worth having, but not worth a failed or stalled request: when
another process holds SQLite's write lock (or a PostgreSQL row lock) they are
skipped after a short wait instead of waiting out the full busy timeout, and
no database error they meet ever reaches the caller.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db import Error as DjangoDatabaseError

logger = logging.getLogger(__name__)

#: How long a bookkeeping write waits for a lock before it is skipped.
LOCK_WAIT_MS = 50


@contextlib.contextmanager
def short_busy_wait(ms: int = LOCK_WAIT_MS, alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """On SQLite, statements inside wait ``ms`` at most for the write lock
    (the connection's busy timeout is lowered, then restored). Elsewhere a no-op."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    normal_ms = int(float(connection.settings_dict["OPTIONS"].get("timeout", 5)) * 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {normal_ms}")


@contextlib.contextmanager
def quick_transaction(ms: int = LOCK_WAIT_MS, alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """``transaction.atomic`` whose locks are waited for ``ms`` at most, then
    OperationalError: SQLite's busy timeout is lowered before ``BEGIN IMMEDIATE``;
    PostgreSQL gets ``SET LOCAL lock_timeout``."""
    connection = connections[alias]
    # Inside another transaction SET LOCAL would outlive this savepoint; the
    # outer transaction already holds what it locked, so no timeout is set.
    outermost = not connection.in_atomic_block
    with short_busy_wait(ms, alias), transaction.atomic(using=alias):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{int(ms)}ms'")
        yield


def write_quietly(what: str, write: Callable[[], object], alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Run ``write`` in its own transaction (a savepoint inside another one),
    waiting at most LOCK_WAIT_MS for locks; False, logged, if it failed.

    Any database error is caught, a lost connection's InterfaceError too (it is
    not a DatabaseError): a request that met an outage already answers 503, and
    its bookkeeping after the answer must not turn that into a 500.
    """
    try:
        with quick_transaction(alias=alias):
            write()
    except (DjangoDatabaseError, psycopg.Error) as exc:
        logger.info("skipped %s: %s", what, exc)
        return False
    return True
