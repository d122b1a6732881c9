"""Fold requests into per-minute rows in memory; write each minute once it is over.

Writing happens on the first request of a new minute, after the response is
built, in its own short transaction: one small INSERT per route per minute per
process, never per request.
"""

from __future__ import annotations

import bisect
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monoboard.lib import bookkeeping
from monoboard.ops.models import LATENCY_BUCKETS_MS, RequestRollup

logger = logging.getLogger(__name__)
#: Longest instance name kept in a rollup row (``process`` holds 40 characters).
INSTANCE_MAX = 32


def process_name() -> str:
    """``<instance>/<pid>``: rows of one instance group by the part before the slash."""
    instance = str(settings.INSTANCE_NAME or socket.gethostname())[:INSTANCE_MAX]
    return f"{instance}/{os.getpid()}"


def instance_of(process: str) -> str:
    """The instance a rollup row's ``process`` names (older rows: ``host:pid``)."""
    if "/" in process:
        return process.rsplit("/", 1)[0]
    return process.rsplit(":", 1)[0]


RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class RequestMeasure:
    """What one request cost."""

    route: str
    method: str
    duration_ms: float
    error: bool = False
    db_queries: int = 0
    db_ms: float = 0.0
    lock_waits: int = 0
    lock_wait_ms: float = 0.0
    page_cache: str | None = None  # "hit", "miss", or None when not cacheable


@dataclass
class RouteMinute:
    count: int = 0
    errors: int = 0
    duration_ms_sum: float = 0.0
    db_queries: int = 0
    db_ms_sum: float = 0.0
    lock_waits: int = 0
    lock_wait_ms_sum: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))

    def add(self, m: RequestMeasure) -> None:
        self.count += 1
        self.errors += int(m.error)
        self.duration_ms_sum += m.duration_ms
        self.db_queries += m.db_queries
        self.db_ms_sum += m.db_ms
        self.lock_waits += m.lock_waits
        self.lock_wait_ms_sum += m.lock_wait_ms
        self.cache_hits += m.page_cache == "hit"
        self.cache_misses += m.page_cache == "miss"
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS_MS, m.duration_ms)] += 1


Finished = tuple[datetime, dict[tuple[str, str], RouteMinute]]


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class RollupBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minute: datetime | None = None
        self._routes: dict[tuple[str, str], RouteMinute] = {}

    def record(self, measure: RequestMeasure) -> Finished | None:
        """Add one request; returns the previous minute's rows when a new minute starts."""
        now = minute_of(timezone.now())
        finished: Finished | None = None
        with self._lock:
            if self._minute is not None and now != self._minute and self._routes:
                finished = (self._minute, self._routes)
                self._routes = {}
            self._minute = now
            self._routes.setdefault((measure.route, measure.method), RouteMinute()).add(measure)
        return finished

    def take_all(self) -> Finished | None:
        """Everything buffered (the current minute too), for shutdown and tests."""
        with self._lock:
            if self._minute is None or not self._routes:
                return None
            finished = (self._minute, self._routes)
            self._routes = {}
        return finished


def write_rollups(minute: datetime, routes: dict[tuple[str, str], RouteMinute]) -> None:
    rows = [
        RequestRollup(
            minute=minute,
            route=route[:200],
            method=method,
            process=process_name(),
            count=m.count,
            errors=m.errors,
            duration_ms_sum=round(m.duration_ms_sum, 3),
            buckets=m.buckets,
            db_queries=m.db_queries,
            db_ms_sum=round(m.db_ms_sum, 3),
            lock_waits=m.lock_waits,
            lock_wait_ms_sum=round(m.lock_wait_ms_sum, 3),
            cache_hits=m.cache_hits,
            cache_misses=m.cache_misses,
        )
        for (route, method), m in routes.items()
    ]
    # Metrics must never break or stall a request: skipped when the lock is busy.
    if not bookkeeping.write_quietly(
        "request rollups", lambda: RequestRollup.objects.bulk_create(rows)
    ):
        logger.warning("could not store %d request rollups", len(rows))


buffer = RollupBuffer()
