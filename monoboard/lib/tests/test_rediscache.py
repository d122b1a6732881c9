"""SafeRedisCache on a real Redis that is stopped, killed and started again."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from monoboard.lib.rediscache import SafeRedisCache
from monoboard.testing.servers import RedisServer, redis_available, redis_server

pytestmark = pytest.mark.skipif(not redis_available(), reason="Redis not installed")


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def make(redis: RedisServer, **options: Any) -> SafeRedisCache:
    return SafeRedisCache(
        redis.url(), {"OPTIONS": {"RETRY_S": 0.3, "SOCKET_TIMEOUT_S": 0.2, **options}}
    )


def test_a_stopped_redis_is_a_miss_then_recovers_by_itself(redis: RedisServer) -> None:
    cache = make(redis)
    cache.set("greeting", "hello", 60)
    assert cache.get("greeting") == "hello"
    redis.stop(kill=True)
    try:
        started = time.monotonic()
        assert cache.get("greeting", "fallback") == "fallback"
        cache.set("greeting", "lost", 60)  # dropped, no error
        assert cache.get_many(["greeting"]) == {}
        assert cache.add("new", 1) is False
        with pytest.raises(ValueError, match="not found"):
            cache.incr("counter")
        assert cache.failing() and not cache.ping()
        assert time.monotonic() - started < 1.0  # no call waited for Redis
    finally:
        redis.start()
    time.sleep(0.35)  # RETRY_S
    assert cache.ping()
    cache.set("greeting", "again", 60)
    assert cache.get("greeting") == "again" and not cache.failing()


@pytest.mark.django_db(transaction=True)
def test_counters_fall_back_to_the_database_cache(redis: RedisServer) -> None:
    """A brute force stays limited during an outage: counts go to the fallback."""
    cache = make(redis, FALLBACK="throttle")
    caches["throttle"].clear()
    cache.add("signin:x", 0, 60)
    assert cache.incr("signin:x") == 1
    redis.stop()
    try:
        # Redis held 1; the database cache counts on from nothing meanwhile.
        assert cache.add("signin:x", 0, 60) is True
        assert cache.incr("signin:x") == 1
        assert cache.incr("signin:x") == 2
        assert caches["throttle"].get("signin:x") == 2
    finally:
        redis.start()
    time.sleep(0.35)
    # Redis again: this one restarted empty (no persistence), so it counts anew.
    cache.add("signin:x", 0, 60)
    assert cache.incr("signin:x") == 1 and not cache.failing()


def test_a_hung_redis_costs_one_timeout_then_nothing(redis: RedisServer) -> None:
    """SIGSTOP: Redis accepts connections but never answers."""
    cache = make(redis)
    cache.set("greeting", "hello", 60)
    os.kill(redis.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert cache.get("greeting") is None  # one socket timeout (0.2 s)
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(50):
            assert cache.get("greeting") is None  # not tried at all for RETRY_S
        rest = time.monotonic() - started
    finally:
        os.kill(redis.process.pid, signal.SIGCONT)
    assert first < 1.0 and rest < 0.1
    time.sleep(0.35)
    assert cache.get("greeting") == "hello"
