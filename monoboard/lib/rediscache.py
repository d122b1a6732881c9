"""A Redis cache that fails safe: Redis is an accelerator, never a source of truth.

Django's ``RedisCache`` raises when Redis is stopped, killed or slow. This
subclass answers such a failure as a miss (reads give the default, writes
are dropped) with one logged warning, and then leaves Redis alone for
``REDIS_RETRY_S`` so that requests do not each wait out a socket timeout;
the first call after that tries again, so it recovers by itself.

With ``OPTIONS["FALLBACK"]`` naming another cache alias, calls go there
while Redis is failing instead of being dropped: the throttle counters fall
back to the database cache, so a sign-in brute force stays limited during
an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
from django.core.cache import BaseCache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

#: Errors that mean "Redis is not answering", never a bug in the caller.
REDIS_ERRORS = (redis.RedisError, OSError)


class SafeRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.fallback_alias: str | None = options.pop("FALLBACK", None)
        self.retry_s = float(options.pop("RETRY_S", 2.0))
        timeout = float(options.pop("SOCKET_TIMEOUT_S", 0.25))
        options.setdefault("socket_timeout", timeout)
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("retry_on_timeout", False)
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._lock = threading.Lock()

    def failing(self) -> bool:
        """Whether Redis failed within the last ``retry_s`` seconds."""
        return time.monotonic() < self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            was_up = not self.failing()
            self._down_until = time.monotonic() + self.retry_s
        if was_up:
            log.warning(
                "Redis is failing (%s); answering from the %s for %g s before trying again",
                exc,
                f"{self.fallback_alias!r} cache" if self.fallback_alias else "database (a miss)",
                self.retry_s,
            )

    def _call[T](self, name: str, miss: T, call: Callable[[], T], *args: Any, **kw: Any) -> T:
        if self.failing():
            return self._fallback(name, miss, *args, **kw)
        try:
            return call()
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return self._fallback(name, miss, *args, **kw)

    def _fallback[T](self, name: str, miss: T, *args: Any, **kw: Any) -> T:
        if self.fallback_alias is None:
            return miss
        other: BaseCache = caches[self.fallback_alias]
        result: T = getattr(other, name)(*args, **kw)
        return result

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._call(
            "add", False, lambda: super(SafeRedisCache, self).add(key, value, timeout, version),
            key, value, timeout, version,
        )  # fmt: skip

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(
            "get", default, lambda: super(SafeRedisCache, self).get(key, default, version),
            key, default, version,
        )  # fmt: skip

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._call(
            "set", None, lambda: super(SafeRedisCache, self).set(key, value, timeout, version),
            key, value, timeout, version,
        )  # fmt: skip

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(
            "touch", False, lambda: super(SafeRedisCache, self).touch(key, timeout, version),
            key, timeout, version,
        )  # fmt: skip

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "delete", False, lambda: super(SafeRedisCache, self).delete(key, version),
            key, version,
        )  # fmt: skip

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._call(
            "get_many", {}, lambda: super(SafeRedisCache, self).get_many(keys, version),
            keys, version,
        )  # fmt: skip

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "has_key", False, lambda: super(SafeRedisCache, self).has_key(key, version),
            key, version,
        )  # fmt: skip

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # A missing key still raises ValueError, as every cache does; while
        # Redis fails (and nothing to fall back on) the key counts as missing.
        def missing() -> int:
            raise ValueError(f"Key {key!r} not found (Redis is failing)")

        if self.failing() and self.fallback_alias is None:
            return missing()
        try:
            if self.failing():
                return int(caches[str(self.fallback_alias)].incr(key, delta, version))
            return int(super().incr(key, delta, version))
        except REDIS_ERRORS as exc:
            self._failed(exc)
            if self.fallback_alias is None:
                return missing()
            return int(caches[self.fallback_alias].incr(key, delta, version))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._call(
            "set_many", list(data), lambda: super(SafeRedisCache, self).set_many(
                data, timeout, version
            ),
            data, timeout, version,
        )  # fmt: skip

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        keys = list(keys)
        self._call(
            "delete_many", None, lambda: super(SafeRedisCache, self).delete_many(keys, version),
            keys, version,
        )  # fmt: skip

    def clear(self) -> None:
        self._call("clear", None, lambda: super(SafeRedisCache, self).clear())

    def ping(self) -> bool:
        """Whether Redis answers now (for /readyz); never raises."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return False
