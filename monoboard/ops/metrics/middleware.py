"""Measure every request: Prometheus instruments, per-minute rollups, slow queries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from monoboard.lib import bookkeeping
from monoboard.ops.metrics import cpu, instruments, rollup
from monoboard.ops.metrics.querylog import QueryLog, fingerprint
from monoboard.ops.models import SlowQuery

logger = logging.getLogger(__name__)
UNMEASURED_PREFIXES = ("/metrics", "/healthz", "/readyz")


def route_of(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is None:
        return "<unmatched>"
    return "/" + match.route if match.route else match.view_name or "<unnamed>"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UNMEASURED_PREFIXES) or request.path.startswith(
            settings.STATIC_URL
        ):
            return self.get_response(request)
        queries = QueryLog()
        started, cpu_started = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route, method = route_of(request), request.method or "GET"
        viewer = (
            "member"
            if getattr(getattr(request, "user", None), "is_authenticated", False)
            else "visitor"
        )
        cpu_used = time.thread_time() - cpu_started
        instruments.REQUEST_CPU.labels(route, method, viewer).observe(cpu_used)
        instruments.REQUESTS.labels(route, method, f"{response.status_code // 100}xx").inc()
        instruments.LATENCY.labels(route, method).observe(elapsed)
        instruments.DB_QUERIES.labels(route).observe(queries.count)
        if settings.METRICS_ROLLUPS:
            finished = rollup.buffer.record(
                rollup.RequestMeasure(
                    route=route,
                    method=method,
                    duration_ms=elapsed * 1000,
                    error=response.status_code >= 500,
                    db_queries=queries.count,
                    db_ms=queries.total_ms,
                    lock_waits=queries.lock_waits,
                    lock_wait_ms=queries.lock_wait_ms,
                    page_cache=getattr(request, "page_cache", None),
                )
            )
            if finished is not None:
                rollup.write_rollups(*finished)
                cpu.record(finished[0])
        if queries.slow and settings.SLOW_QUERY_LOG:
            self._store_slow(queries, route)
        return response

    @staticmethod
    def _store_slow(queries: QueryLog, route: str) -> None:
        now = timezone.now()
        rows = [
            SlowQuery(
                created_at=now,
                fingerprint=fingerprint(s.sql),
                sql=s.sql,
                duration_ms=s.duration_ms,
                route=route[:200],
                location=s.location[:300],
            )
            for s in queries.slow
        ]
        # Skipped, not waited for, when another writer holds the lock.
        bookkeeping.write_quietly("slow queries", lambda: SlowQuery.objects.bulk_create(rows))
