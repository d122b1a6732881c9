"""Take one SystemSample: the box's CPU and memory, and the database's connections.

The box's CPU is every program's on it; the product's own share comes from
the ProcessCpu rows its processes write (monoboard/ops/metrics/cpu.py), this
sampler's process among them.

Read from /proc on Linux (no extra dependency); on other systems the figures
that cannot be read stay empty rather than wrong.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from monoboard.jobs.selectors import backlog
from monoboard.ops.metrics import cpu, instruments
from monoboard.ops.metrics.rollup import RETENTION, minute_of
from monoboard.ops.models import ProcessCpu, RequestRollup, SlowQuery, SystemSample
from monoboard.replicas import health

PROC = Path("/proc")


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies since boot for all CPUs."""
    try:
        fields = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


def cpu_percent(interval: float = 0.5) -> float | None:
    first = _cpu_times()
    time.sleep(interval)
    second = _cpu_times()
    if first is None or second is None or second[1] == first[1]:
        return None
    return round(100.0 * (second[0] - first[0]) / (second[1] - first[1]), 1)


def memory_percent() -> float | None:
    try:
        info = {
            line.split(":")[0]: int(line.split()[1])
            for line in (PROC / "meminfo").read_text().splitlines()
            if line.split()[1:2]
        }
        return round(100.0 * (1 - info["MemAvailable"] / info["MemTotal"]), 1)
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        return None


def rss_mb() -> float | None:
    try:
        for line in (PROC / "self" / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def database_connections() -> tuple[int | None, int | None]:
    """Connections in use and the server's limit (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        in_use = cursor.fetchone()
        cursor.execute("SHOW max_connections")
        limit = cursor.fetchone()
    return (int(in_use[0]) if in_use else None, int(limit[0]) if limit else None)


def replica_lag_ms() -> float | None:
    """How far the most lagging read replica is behind, in ms (PostgreSQL replicas).

    Replicas are the ``DATABASES`` aliases named ``replica…``, measured by the
    router's own check (monoboard/replicas/health.py). A replica that is down,
    or a server that is not a replica, reports nothing rather than a made-up
    figure (the sample is still taken).
    """
    lags = [status.lag_ms for status in health.statuses() if status.up]
    return max(lags) if lags else None


def take_sample(*, now: datetime | None = None) -> SystemSample:
    in_use, limit = database_connections()
    jobs = backlog(now)
    instruments.JOBS_READY.set(jobs.ready)
    instruments.JOBS_OLDEST_AGE.set(jobs.oldest_ready_age_s)
    minute = minute_of(now or timezone.now())
    cpu.record(minute)
    return SystemSample.objects.create(
        minute=minute,
        host=socket.gethostname()[:80],
        cpu_percent=cpu_percent(),
        memory_percent=memory_percent(),
        rss_mb=rss_mb(),
        db_connections=in_use,
        db_max_connections=limit,
        jobs_ready=jobs.ready,
        jobs_oldest_age_s=jobs.oldest_ready_age_s,
        jobs_failed_last_hour=jobs.failed_last_hour,
        replica_lag_ms=replica_lag_ms(),
    )


def prune(*, now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Drop figures older than the retention period; returns rows removed."""
    cutoff = (now or timezone.now()) - retention
    removed = 0
    for model, column in (
        (RequestRollup, "minute"),
        (SystemSample, "minute"),
        (ProcessCpu, "minute"),
        (SlowQuery, "created_at"),
    ):
        deleted, _ = model.objects.filter(**{f"{column}__lt": cutoff}).delete()
        removed += deleted
    return removed
