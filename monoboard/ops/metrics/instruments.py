"""The Prometheus instruments. Multi-process safe when PROMETHEUS_MULTIPROC_DIR is set.

``manage.py serve`` sets that directory (cleared at start) for all its
children, so /metrics on any worker reports the whole box.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Summary

LATENCY_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 2.5, 5)

REQUESTS = Counter(
    "monoboard_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
LATENCY = Histogram(
    "monoboard_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=LATENCY_SECONDS_BUCKETS,
)
REQUEST_CPU = Summary(
    "monoboard_http_request_cpu_seconds",
    "CPU time (user + system) of the thread that answered a request, by route and by whether "
    "the viewer was signed in: the cost per request that compares across machines",
    ["route", "method", "viewer"],
)
DB_QUERIES = Histogram(
    "monoboard_db_queries_per_request",
    "Database queries made while answering one request",
    ["route"],
    buckets=(0, 1, 2, 4, 8, 16, 32, 64, 128),
)
DB_TIME = Histogram(
    "monoboard_db_query_duration_seconds",
    "Time spent in database queries",
    buckets=LATENCY_SECONDS_BUCKETS,
)
PAGE_CACHE = Counter(
    "monoboard_page_cache_total",
    "Anonymous page requests answered from the page cache (hit) or rendered and stored (miss)",
    ["result"],
)
REPLICA_LAG = Gauge(
    "monoboard_replica_lag_seconds",
    "How far each read replica is behind the primary (as last measured by this process)",
    ["replica"],
    multiprocess_mode="max",
)
REPLICA_UP = Gauge(
    "monoboard_replica_up",
    "1 while a read replica answers and may serve reads, else 0",
    ["replica"],
    multiprocess_mode="min",
)
SLOW_QUERIES = Counter("monoboard_db_slow_queries_total", "Queries slower than SLOW_QUERY_MS")
SQLITE_LOCK_WAIT = Histogram(
    "monoboard_sqlite_write_lock_wait_seconds",
    "Time a SQLite writer waited to take the write lock",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)
SQLITE_LOCK_TIMEOUTS = Counter(
    "monoboard_sqlite_write_lock_timeouts_total", "Writers that gave up waiting for the lock"
)
SSE_CONNECTIONS = Gauge(
    "monoboard_sse_connections", "Open Server-Sent Event streams", multiprocess_mode="livesum"
)
JOBS_READY = Gauge("monoboard_jobs_ready", "Jobs waiting to run", multiprocess_mode="max")
JOBS_OLDEST_AGE = Gauge(
    "monoboard_jobs_oldest_ready_age_seconds",
    "Age of the oldest waiting job",
    multiprocess_mode="max",
)
