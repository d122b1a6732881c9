"""Counters for throttles and rate limits, in their own cache alias.

``CACHES["throttle"]`` is the database cache by default, so every process on
the box (and, on PostgreSQL, every instance) reads and bumps the same counts.
The per-process locmem ``default`` cache would give each web process its own
budget: four processes would allow four times the limit.
"""

from __future__ import annotations

from django.core.cache import BaseCache, caches

ALIAS = "throttle"


def counter_cache() -> BaseCache:
    return caches[ALIAS]


def hit(key: str, *, window_s: int) -> int:
    """Add one to ``key`` (expiring ``window_s`` after its first hit); the new count."""
    cache = counter_cache()
    cache.add(key, 0, timeout=window_s)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_s)
        return 1


def once(key: str, *, window_s: int) -> bool:
    """True the first time ``key`` is seen within ``window_s`` seconds."""
    return bool(counter_cache().add(key, 1, timeout=window_s))
