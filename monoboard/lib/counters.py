"""Counters for throttles and rate limits, in their own cache alias.

``CACHES["throttle"]`` is the database cache by default, so every process on
the box (and, on PostgreSQL, every instance) reads and bumps the same counts.
The per-process locmem ``default`` cache would give each web process its own
budget: four processes would allow four times the limit.

Counting is bookkeeping: while another process holds SQLite's write lock a
count is not saved (the database cache swallows the error) after a short
wait, instead of every request waiting out the busy timeout for it.
"""

from __future__ import annotations

import contextlib

from django.core.cache import BaseCache, caches
from django.db import DEFAULT_DB_ALIAS, router

from monoboard.lib.bookkeeping import short_busy_wait

ALIAS = "throttle"


def counter_cache() -> BaseCache:
    return caches[ALIAS]


def hit(key: str, *, window_s: int) -> int:
    """Add one to ``key`` (expiring ``window_s`` after its first hit); the new count."""
    cache = counter_cache()
    with _short_wait(cache):
        cache.add(key, 0, timeout=window_s)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr, or not saved
            cache.set(key, 1, timeout=window_s)
            return 1


def once(key: str, *, window_s: int) -> bool:
    """True the first time ``key`` is seen within ``window_s`` seconds."""
    cache = counter_cache()
    with _short_wait(cache):
        return bool(cache.add(key, 1, timeout=window_s))


def _short_wait(cache: BaseCache) -> contextlib.AbstractContextManager[None]:
    """A short lock wait on the database behind ``cache``, if it is the database cache."""
    model = getattr(cache, "cache_model_class", None)
    if model is None:
        return contextlib.nullcontext()
    return short_busy_wait(alias=router.db_for_write(model) or DEFAULT_DB_ALIAS)
