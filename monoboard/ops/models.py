"""Figures the product keeps about itself, so a box without Prometheus has history.

Each process folds its requests into one row per (minute, route, method) and
writes it when the minute is over; readers sum rows across processes. Fixed
latency buckets make percentiles computable after summing.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

#: Upper bounds (ms) of the latency buckets stored per rollup row; the last
#: bucket is everything slower.
LATENCY_BUCKETS_MS: tuple[float, ...] = (
    5,
    10,
    25,
    50,
    75,
    100,
    150,
    250,
    500,
    750,
    1000,
    2500,
    5000,
)


class RequestRollup(models.Model):
    minute = models.DateTimeField()
    route = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    process = models.CharField(max_length=40, default="")
    count = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    duration_ms_sum = models.FloatField(default=0.0)
    buckets = models.JSONField(default=list)  # counts per LATENCY_BUCKETS_MS, plus overflow
    db_queries = models.PositiveIntegerField(default=0)
    db_ms_sum = models.FloatField(default=0.0)
    lock_waits = models.PositiveIntegerField(default=0)  # SQLite writers that had to queue
    lock_wait_ms_sum = models.FloatField(default=0.0)
    cache_hits = models.PositiveIntegerField(default=0)  # pages served from the page cache
    cache_misses = models.PositiveIntegerField(default=0)  # pages rendered and stored

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["minute"], name="rollup_minute"),
            models.Index(fields=["route", "minute"], name="rollup_route_minute"),
        ]

    def __str__(self) -> str:
        return f"{self.minute:%H:%M} {self.method} {self.route}"


class SystemSample(models.Model):
    """One per minute per host, taken by a recurring job."""

    minute = models.DateTimeField()
    host = models.CharField(max_length=80, default="")
    cpu_percent = models.FloatField(null=True)
    memory_percent = models.FloatField(null=True)
    rss_mb = models.FloatField(null=True)
    db_connections = models.IntegerField(null=True)
    db_max_connections = models.IntegerField(null=True)
    jobs_ready = models.IntegerField(null=True)
    jobs_oldest_age_s = models.FloatField(null=True)
    jobs_failed_last_hour = models.IntegerField(null=True)
    sqlite_lock_waits = models.IntegerField(null=True)
    sqlite_lock_wait_ms_max = models.FloatField(null=True)
    replica_lag_ms = models.FloatField(null=True)
    sse_connections = models.IntegerField(null=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["minute"], name="sample_minute")
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.host}"


class ProcessCpu(models.Model):
    """CPU seconds one of the product's processes used, written by the process itself.

    Every web, events and jobs process of every instance adds its own rows, so
    the product's share of a box is the sum per host and minute over
    ``60 * cores``, whatever else runs on the machine.
    """

    minute = models.DateTimeField()
    host = models.CharField(max_length=80, default="")
    process = models.CharField(max_length=40, default="")
    cpu_seconds = models.FloatField(default=0.0)
    cores = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["minute"], name="processcpu_minute")
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.process} {self.cpu_seconds:.1f} s"


class SlowQuery(models.Model):
    created_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=16)
    sql = models.TextField()
    duration_ms = models.FloatField()
    route = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["created_at"], name="slowquery_time"),
            models.Index(fields=["fingerprint", "created_at"], name="slowquery_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.duration_ms:.0f} ms {self.sql[:60]}"
