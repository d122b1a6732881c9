"""Cache-aside for small, hot, shared reads: the site's settings, statuses, tags, boards.

Every signed-in page and many API calls read these; they change rarely. With
a shared cache (Redis, ``CACHE_ASIDE``) each is kept under a key that holds
its scope's version: ``aside:statuses:<version of "catalog">``. A write's
domain event bumps its scope's version (``bump_in_transaction(scope)``,
called by the event log's ``emit()``) twice: at once, inside the writer's transaction, so
the writer's own later reads in it never meet the old value, and again after
the commit, so that a value another request filled in between (from the
data before the commit) is never read again. The bump is in-process, not a
consumer: the author's next request must not wait for the worker. A failed
bump (Redis unreachable at that instant) is bounded by ``CACHE_ASIDE_SECONDS``.

Values are computed on the primary (``primary_only``): a lagging replica
could otherwise store an old value under the new version. A miss takes a
short lock so that one request recomputes a hot key while the others wait a
moment for its result (stampede protection); past the wait they compute it
themselves. Hits and misses per cache are counted for /metrics.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from prometheus_client import Counter

from monoboard.lib.readcontext import primary_only

log = logging.getLogger(__name__)

LOOKUPS = Counter(
    "monoboard_cache_aside_total",
    "Cache-aside lookups per cache: served from the cache (hit) or computed (miss)",
    ["cache", "result"],
)

LOCK_S = 5
WAIT_S = 0.2
_MISSING = object()


def enabled() -> bool:
    return bool(settings.CACHE_ASIDE)


def store() -> Any:
    return caches["default"]


def count(name: str, *, hits: int, misses: int) -> None:
    if hits:
        LOOKUPS.labels(name, "hit").inc(hits)
    if misses:
        LOOKUPS.labels(name, "miss").inc(misses)


def version(scope: str) -> str:
    """The current version of ``scope`` (a new one after each bump)."""
    store_ = store()
    key = f"aside-version:{scope}"
    current = store_.get(key)
    if current is None:
        # Evicted, or a fresh Redis: start a new version no old value can carry.
        store_.add(key, uuid.uuid4().hex, None)
        current = store_.get(key) or "none"
    return str(current)


def bump(scope: str) -> None:
    store().set(f"aside-version:{scope}", uuid.uuid4().hex, None)


def bump_in_transaction(scope: str, *, using: str = "default") -> None:
    """A write in the open transaction changes ``scope``: stale now, and after commit."""
    if not enabled():
        return
    bump(scope)
    transaction.on_commit(lambda: bump(scope), using=using)


def cached[T](name: str, scope: str, compute: Callable[[], T]) -> T:
    """``compute()``'s value, from the cache when its scope has not changed since."""
    if not enabled():
        return compute()
    store_ = store()
    key = f"aside:{name}:{version(scope)}"
    value = store_.get(key, _MISSING)
    if value is not _MISSING:
        LOOKUPS.labels(name, "hit").inc()
        return value  # type: ignore[no-any-return]
    LOOKUPS.labels(name, "miss").inc()
    lock = f"{key}:lock"
    if not store_.add(lock, 1, LOCK_S):
        # Another request is computing it: wait a moment for its result.
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.01)
            value = store_.get(key, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[no-any-return]
    try:
        with primary_only():
            value = compute()
        store_.set(key, value, int(settings.CACHE_ASIDE_SECONDS))
    finally:
        store_.delete(lock)
    return value
