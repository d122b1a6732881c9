"""The scale advisor: from measured figures to the one next step.

:func:`measure` reads the rollups and samples the product keeps about itself
into a :class:`Figures`; :func:`advise` is a pure function from figures and the
current configuration to :class:`Advice`, so every rule is tested with
synthetic histories. Thresholds follow the scaling roadmap the product
implements: p95 read latency over 100 ms, any route over 500 ms, CPU or memory
sustained over 75/80 %, connections over 80 % of the limit, SQLite writers
queueing, jobs waiting, a cold cache, lagging replicas. From stage 2 on, one
box's CPU over 70 % or a route over 500 ms while the database is not where the
time goes calls for (more) app instances behind nginx (stage 3).

The CPU rules use the product's own processes' CPU (ProcessCpu rows), not the
machine's: a box busy with other programs is told so, not sent up a stage.
No step is advised before the window holds enough evidence
(``ADVISOR_MIN_MINUTES`` minutes with requests, ``ADVISOR_MIN_REQUESTS``
requests); the advice then says what is missing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from monoboard.ops.metrics.rollup import instance_of
from monoboard.ops.models import LATENCY_BUCKETS_MS, ProcessCpu, RequestRollup, SystemSample

STAGES = {
    1: "single box (SQLite)",
    2: "own database (PostgreSQL + pooling)",
    3: "horizontal (several instances behind a load balancer)",
    4: "cache and read replicas",
    5: "elastic (autoscaling)",
    6: "partitioned",
    7: "resilient (automatic failover)",
}

READ_P95_LIMIT_MS = 100.0
ROUTE_P95_LIMIT_MS = 500.0
CPU_LIMIT = 75.0
#: From stage 2 on: one box's CPU over this calls for more app instances.
INSTANCE_CPU_LIMIT = 70.0
#: The database is the bottleneck when it takes this share of a read's time.
DB_SHARE_LIMIT = 0.5
STAGE3_DOC = "docs/scaling.md#stage-3-several-instances-behind-nginx"
STAGE5_DOC = "docs/scaling.md#stage-5-kubernetes-and-autoscaling"
STAGE5_COST = (
    "an orchestrator to run (a managed Kubernetes) and an image to build; "
    "`manage.py advise --simulate` replays this site's history through the autoscaler "
    "and prints what it would have run and cost"
)
MEMORY_LIMIT = 80.0
CONNECTIONS_LIMIT = 0.8
LOCK_WAIT_LIMIT_MS = 50.0
LOCK_WAIT_SHARE_LIMIT = 0.05
JOB_AGE_LIMIT_S = 60.0
CACHE_HIT_LIMIT = 0.8
REPLICA_LAG_LIMIT_MS = 1000.0
MIN_REQUESTS = 50  # fewer requests than this say nothing about latency
#: Other programs "take most of the CPU" when they use more of it than the product.
OTHERS_SHARE_LIMIT = 0.5


@dataclass(frozen=True)
class RouteFigure:
    route: str
    method: str
    count: int
    p95_ms: float


@dataclass(frozen=True)
class InstanceFigure:
    """One app instance's requests over the window (from its rollup rows)."""

    name: str
    requests: int
    errors: int
    p95_ms: float | None
    mean_ms: float | None


@dataclass
class Figures:
    """What was measured over the window the advice is about."""

    window: timedelta = timedelta(hours=1)
    requests: int = 0
    minutes: int = 0  # minutes of the window with requests measured
    read_requests: int = 0
    read_p95_ms: float | None = None
    read_ms_mean: float | None = None
    write_requests: int = 0
    routes: list[RouteFigure] = field(default_factory=list)
    db_ms_per_read: float | None = None
    lock_waits: int = 0
    lock_wait_avg_ms: float | None = None
    cpu_percent: float | None = None  # the product's processes: median per minute, busiest box
    machine_cpu_percent: float | None = None  # every program's: median per minute, busiest box
    memory_percent: float | None = None
    db_connections: int | None = None
    db_max_connections: int | None = None
    jobs_oldest_age_s: float | None = None
    cache_hit_ratio: float | None = None
    replica_lag_ms: float | None = None
    replicas: int = 0  # configured, for the advice's wording
    instances: list[InstanceFigure] = field(default_factory=list)

    @property
    def db_share(self) -> float | None:
        """The share of a read's time spent in the database, when measured."""
        if self.db_ms_per_read is None or not self.read_ms_mean:
            return None
        return self.db_ms_per_read / self.read_ms_mean


@dataclass(frozen=True)
class Threshold:
    name: str
    value: float | None
    limit: float
    unit: str
    crossed: bool
    note: str = ""

    def shown_value(self) -> str:
        if self.value is None:
            return "not measured"
        return f"{self.value:,.1f}{self.unit}" if self.unit != "%" else f"{self.value:.0f}%"


@dataclass(frozen=True)
class Step:
    stage: int
    title: str
    why: str
    cost: str
    doc: str


@dataclass(frozen=True)
class Evidence:
    """What the window holds against what advice needs."""

    minutes: int
    requests: int
    min_minutes: int
    min_requests: int

    @classmethod
    def of(cls, figures: Figures, *, min_minutes: int, min_requests: int) -> Evidence:
        return cls(figures.minutes, figures.requests, min_minutes, min_requests)

    @property
    def enough(self) -> bool:
        return self.minutes >= self.min_minutes and self.requests >= self.min_requests

    @property
    def rule(self) -> str:
        return (
            f"A step is advised only when the window holds at least {self.min_minutes} "
            f"minutes with requests and {self.min_requests:,} requests; CPU and memory "
            f"are medians of at least {self.min_minutes} one-minute samples of a box, "
            "and the CPU is the product's own processes'."
        )

    @property
    def missing(self) -> str:
        return (
            f"{_count(self.minutes, 'minute')} and {_count(self.requests, 'request')} measured; "
            f"advice needs at least {_count(self.min_minutes, 'minute')} and "
            f"{_count(self.min_requests, 'request')}."
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


@dataclass
class Advice:
    stage: int
    stage_name: str
    thresholds: list[Threshold]
    next_step: Step | None
    not_needed: list[str]
    evidence: Evidence | None = None
    #: Why no step is advised though a threshold may be crossed ("" when none holds it back).
    held_back: str = ""
    #: The product's CPU against the whole machine's, when both are measured.
    cpu_summary: str = ""

    @property
    def crossed(self) -> list[Threshold]:
        return [t for t in self.thresholds if t.crossed]


@dataclass(frozen=True)
class Configuration:
    """The parts of the configuration that decide the stage."""

    database_vendor: str
    pooled: bool = False
    behind_proxy: bool = False
    cache_shared: bool = False
    replicas: int = 0
    instances: int = 1


def current_configuration(figures: Figures | None = None) -> Configuration:
    """The configuration; with ``figures``, instances seen answering count too."""
    seen = len(figures.instances) if figures else 0
    cache_backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    return Configuration(
        database_vendor=connection.vendor,
        pooled=bool(settings.DATABASES["default"].get("OPTIONS", {}).get("pool"))
        or str(settings.DB_POOL) == "pgbouncer",
        behind_proxy=bool(settings.BEHIND_PROXY),
        cache_shared="redis" in cache_backend.lower() or "memcached" in cache_backend.lower(),
        replicas=len([alias for alias in settings.DATABASES if alias.startswith("replica")]),
        instances=max(int(settings.INSTANCES), seen),
    )


def detect_stage(config: Configuration) -> int:
    if config.database_vendor == "sqlite":
        return 1
    if config.cache_shared or config.replicas:
        return 4
    if config.behind_proxy or config.instances > 1:
        return 3
    return 2


def p95_from_buckets(buckets: list[int]) -> float | None:
    """The upper bound of the bucket holding the 95th percentile."""
    total = sum(buckets)
    if total == 0:
        return None
    rank = 0.95 * total
    seen = 0
    for index, count in enumerate(buckets):
        seen += count
        if seen >= rank:
            return (
                LATENCY_BUCKETS_MS[index]
                if index < len(LATENCY_BUCKETS_MS)
                else LATENCY_BUCKETS_MS[-1] * 2
            )
    return None


def _add(into: list[int], buckets: list[int]) -> None:
    for index, count in enumerate(buckets):
        if index < len(into):
            into[index] += count


def _median(values: list[float | int | None], least: int) -> float | None:
    """The median, once there are ``least`` values: "sustained", not one busy minute."""
    present = [float(v) for v in values if v is not None]
    return statistics.median(present) if present and len(present) >= least else None


def machine_cpu(samples: list[SystemSample], least: int) -> float | None:
    """The busiest box's median CPU, every program on it counted."""
    hosts = sorted({s.host for s in samples})
    cpus = [_median([s.cpu_percent for s in samples if s.host == host], least) for host in hosts]
    return max((c for c in cpus if c is not None), default=None)


def product_cpu(
    samples: list[SystemSample], since: datetime, now: datetime, least: int
) -> float | None:
    """The busiest box's median share used by the product's own processes.

    Per host and minute: the CPU seconds every product process wrote, over
    ``60 * cores``. A sampled minute without rows counts as idle; a host none
    of whose processes wrote a row in the window is not measured.
    """
    used: dict[tuple[str, datetime], float] = {}
    cores: dict[str, int] = {}
    for row in ProcessCpu.objects.filter(minute__gte=since, minute__lt=now).iterator():
        key = (row.host, row.minute)
        used[key] = used.get(key, 0.0) + row.cpu_seconds
        cores[row.host] = max(cores.get(row.host, 1), row.cores)
    shares = []
    for host, count in cores.items():
        minutes = {m for h, m in used if h == host} | {s.minute for s in samples if s.host == host}
        per_minute = [min(100.0, 100.0 * used.get((host, m), 0.0) / (60 * count)) for m in minutes]
        shares.append(_median(list(per_minute), least))
    return max((c for c in shares if c is not None), default=None)


def measure(
    *,
    window: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    min_minutes: int | None = None,
) -> Figures:
    """The window's figures; CPU and memory need ``min_minutes`` samples of a box."""
    now = now or timezone.now()
    least = int(settings.ADVISOR_MIN_MINUTES) if min_minutes is None else min_minutes
    since = now - window
    figures = Figures(window=window)
    size = len(LATENCY_BUCKETS_MS) + 1
    read_buckets = [0] * size
    per_route: dict[tuple[str, str], tuple[int, list[int]]] = {}
    read_db_ms = 0.0
    read_ms = 0.0
    per_instance: dict[str, tuple[int, int, float, list[int]]] = {}
    lock_wait_ms = 0.0
    cache_hits = cache_misses = 0
    minutes: set[datetime] = set()
    for row in RequestRollup.objects.filter(minute__gte=since, minute__lt=now).iterator():
        figures.requests += row.count
        if row.count:
            minutes.add(row.minute)
        count, buckets = per_route.get((row.route, row.method), (0, [0] * size))
        _add(buckets, row.buckets)
        per_route[(row.route, row.method)] = (count + row.count, buckets)
        figures.lock_waits += row.lock_waits
        lock_wait_ms += row.lock_wait_ms_sum
        cache_hits += row.cache_hits
        cache_misses += row.cache_misses
        name = instance_of(row.process)
        count_i, errors_i, ms_i, buckets_i = per_instance.get(name, (0, 0, 0.0, [0] * size))
        _add(buckets_i, row.buckets)
        per_instance[name] = (
            count_i + row.count,
            errors_i + row.errors,
            ms_i + row.duration_ms_sum,
            buckets_i,
        )
        if row.method in ("GET", "HEAD"):
            figures.read_requests += row.count
            read_db_ms += row.db_ms_sum
            read_ms += row.duration_ms_sum
            _add(read_buckets, row.buckets)
        else:
            figures.write_requests += row.count
    figures.read_p95_ms = (
        p95_from_buckets(read_buckets) if figures.read_requests >= MIN_REQUESTS else None
    )
    if figures.read_requests:
        figures.db_ms_per_read = read_db_ms / figures.read_requests
        figures.read_ms_mean = read_ms / figures.read_requests
    figures.instances = sorted(
        (
            InstanceFigure(
                name,
                count,
                errors,
                p95_from_buckets(buckets) if count >= MIN_REQUESTS else None,
                ms / count if count else None,
            )
            for name, (count, errors, ms, buckets) in per_instance.items()
            if name
        ),
        key=lambda i: i.name,
    )
    if figures.lock_waits:
        figures.lock_wait_avg_ms = lock_wait_ms / figures.lock_waits
    figures.routes = sorted(
        (
            RouteFigure(route, method, count, p95_from_buckets(buckets) or 0.0)
            for (route, method), (count, buckets) in per_route.items()
            if count >= MIN_REQUESTS
        ),
        key=lambda r: r.p95_ms,
        reverse=True,
    )
    figures.minutes = len(minutes)
    samples = list(
        SystemSample.objects.filter(minute__gte=since, minute__lt=now).order_by("minute")
    )
    # "One box's CPU": the busiest host's median, not a median over all boxes.
    figures.machine_cpu_percent = machine_cpu(samples, least)
    figures.cpu_percent = product_cpu(samples, since, now, least)
    figures.memory_percent = _median([s.memory_percent for s in samples], least)
    connections = [s for s in samples if s.db_connections is not None and s.db_max_connections]
    if connections:
        busiest = max(connections, key=lambda s: s.db_connections or 0)
        figures.db_connections, figures.db_max_connections = (
            busiest.db_connections,
            busiest.db_max_connections,
        )
    ages = [s.jobs_oldest_age_s for s in samples if s.jobs_oldest_age_s is not None]
    figures.jobs_oldest_age_s = max(ages) if ages else None
    cached = cache_hits + cache_misses
    figures.cache_hit_ratio = cache_hits / cached if cached >= MIN_REQUESTS else None
    lags = [s.replica_lag_ms for s in samples if s.replica_lag_ms is not None]
    figures.replica_lag_ms = max(lags) if lags else None
    return figures


def thresholds(f: Figures, stage: int) -> list[Threshold]:
    out = [
        Threshold(
            "p95 read latency",
            f.read_p95_ms,
            READ_P95_LIMIT_MS,
            " ms",
            f.read_p95_ms is not None and f.read_p95_ms > READ_P95_LIMIT_MS,
        ),
    ]
    slowest = f.routes[0] if f.routes else None
    out.append(
        Threshold(
            "p95 of the slowest route",
            slowest.p95_ms if slowest else None,
            ROUTE_P95_LIMIT_MS,
            " ms",
            slowest is not None and slowest.p95_ms > ROUTE_P95_LIMIT_MS,
            f"{slowest.method} {slowest.route}" if slowest else "",
        )
    )
    cpu_limit = CPU_LIMIT if stage == 1 else INSTANCE_CPU_LIMIT
    out.append(
        Threshold(
            "CPU (median)",
            f.cpu_percent,
            cpu_limit,
            "%",
            f.cpu_percent is not None and f.cpu_percent > cpu_limit,
            "the product's processes, busiest box",
        )
    )
    out.append(
        Threshold(
            "memory (median)",
            f.memory_percent,
            MEMORY_LIMIT,
            "%",
            f.memory_percent is not None and f.memory_percent > MEMORY_LIMIT,
        )
    )
    if stage == 1:
        share = f.lock_waits / f.write_requests if f.write_requests else None
        crossed = f.lock_wait_avg_ms is not None and (
            f.lock_wait_avg_ms > LOCK_WAIT_LIMIT_MS or (share or 0) > LOCK_WAIT_SHARE_LIMIT
        )
        out.append(
            Threshold(
                "SQLite write-lock wait (mean of waits)",
                f.lock_wait_avg_ms,
                LOCK_WAIT_LIMIT_MS,
                " ms",
                crossed,
                f"{f.lock_waits} of {f.write_requests} writes queued" if f.write_requests else "",
            )
        )
    else:
        used = (
            100.0 * f.db_connections / f.db_max_connections
            if f.db_connections is not None and f.db_max_connections
            else None
        )
        out.append(
            Threshold(
                "database connections in use",
                used,
                CONNECTIONS_LIMIT * 100,
                "%",
                used is not None and used > CONNECTIONS_LIMIT * 100,
            )
        )
    out.append(
        Threshold(
            "oldest waiting job",
            f.jobs_oldest_age_s,
            JOB_AGE_LIMIT_S,
            " s",
            f.jobs_oldest_age_s is not None and f.jobs_oldest_age_s > JOB_AGE_LIMIT_S,
        )
    )
    ratio = f.cache_hit_ratio * 100 if f.cache_hit_ratio is not None else None
    if stage >= 4 or ratio is not None:
        # Shown from stage 1 (the anonymous page cache); a limit only once a
        # shared cache is what the site relies on.
        out.append(
            Threshold(
                "cache hit ratio",
                ratio,
                CACHE_HIT_LIMIT * 100,
                "%",
                stage >= 4 and ratio is not None and ratio < CACHE_HIT_LIMIT * 100,
            )
        )
    if stage >= 4:
        # The router's own limit: past it a replica serves nobody.
        lag_limit = float(getattr(settings, "REPLICA_MAX_LAG_MS", REPLICA_LAG_LIMIT_MS))
        out.append(
            Threshold(
                "replica lag",
                f.replica_lag_ms,
                lag_limit,
                " ms",
                f.replica_lag_ms is not None and f.replica_lag_ms > lag_limit,
            )
        )
    return out


def _crossed(ts: list[Threshold], *prefixes: str) -> list[Threshold]:
    return [t for t in ts if t.crossed and t.name.startswith(prefixes)]


def next_step(stage: int, ts: list[Threshold], f: Figures) -> Step | None:
    if stage == 1:
        reasons = _crossed(ts, "SQLite", "p95", "CPU", "oldest")
        if reasons:
            return Step(
                2,
                "Move the database to PostgreSQL with connection pooling",
                _because(reasons),
                "one more server to run, back up and upgrade (PostgreSQL; PgBouncer when "
                "connections grow); the product code does not change",
                "docs/scaling.md#stage-1-to-stage-2",
            )
        return None
    if stage == 2:
        if _crossed(ts, "database connections"):
            return Step(
                2,
                "Put PgBouncer (transaction mode) in front of PostgreSQL",
                _because(_crossed(ts, "database connections")),
                "one small process; set DB_POOL=pgbouncer",
                "docs/scaling.md#pooling",
            )
        reasons = _crossed(ts, "CPU", "p95", "memory")
        if reasons and not database_bound(f, ts):
            return Step(
                3,
                "Run several app instances behind nginx",
                _because(reasons) + _db_note(f),
                "a load balancer and a second app box to operate; shared SECRET_KEY",
                STAGE3_DOC,
            )
        if reasons:
            return _cache_and_replicas(reasons, f)
        return None
    if stage == 3:
        busy = _crossed(ts, "CPU", "p95 of the slowest route")
        if busy and not database_bound(f, ts):
            return Step(
                3,
                "Add app instances behind nginx",
                _because(busy) + _db_note(f),
                "one more app box (serve --roles web,events) and a line in nginx's upstreams; "
                "check the database connection budget",
                STAGE3_DOC,
            )
        reasons = _crossed(ts, "p95", "CPU")
        if reasons:
            return Step(
                4,
                "Add Redis cache-aside and a read replica",
                _because(reasons),
                "Redis and a streaming replica to operate; invalidation on every write",
                "docs/scaling.md#stage-4",
            )
        return None
    lag = _crossed(ts, "replica lag")
    if lag:
        return Step(
            4,
            "Find why the replica lags: reads it would serve go to the primary meanwhile",
            _because(lag),
            "nothing to buy: a replica beyond REPLICA_MAX_LAG_MS is skipped, so the primary "
            "carries its reads until it catches up (its disk, network or long queries)",
            "docs/scaling.md#stage-4",
        )
    slow = _crossed(ts, "p95")
    busy = _crossed(ts, "CPU")
    if slow and busy:
        return Step(
            4,
            f"Add a read replica (now {f.replicas})" if f.replicas else "Add a read replica",
            _because(slow + busy),
            "one more PostgreSQL to run and watch; reads of a writer's own changes still go "
            "to the primary until the replica has them",
            "docs/scaling.md#stage-4",
        )
    reasons = _crossed(ts, "CPU", "p95", "cache")
    if reasons:
        return Step(
            stage + 1,
            f"Take the next rung: {STAGES.get(stage + 1, 'beyond the ladder')}",
            _because(reasons),
            STAGE5_COST if stage + 1 == 5 else "see the guide",
            STAGE5_DOC if stage + 1 == 5 else "docs/scaling.md",
        )
    return None


def database_bound(f: Figures, ts: list[Threshold]) -> bool:
    """Whether the database is where the time goes: more app instances would not help."""
    share = f.db_share
    return bool(_crossed(ts, "database connections")) or (
        share is not None and share >= DB_SHARE_LIMIT
    )


def _db_note(f: Figures) -> str:
    share = f.db_share
    if share is None:
        return ""
    return f"; the database takes {share:.0%} of a read's time, so it is not the bottleneck"


def _cache_and_replicas(reasons: list[Threshold], f: Figures) -> Step:
    share = f.db_share
    return Step(
        4,
        "Add Redis cache-aside and a read replica",
        _because(reasons) + f"; the database takes {share or 0:.0%} of a read's time, so more "
        "app instances would wait on it",
        "Redis and a streaming replica to operate; invalidation on every write",
        "docs/scaling.md#stage-4",
    )


def _because(reasons: list[Threshold]) -> str:
    return "; ".join(f"{t.name} is {t.shown_value()} (limit {t.limit:g}{t.unit})" for t in reasons)


def not_needed(stage: int, f: Figures, step: Step | None) -> list[str]:
    notes = []
    p95 = f"{f.read_p95_ms:.0f} ms" if f.read_p95_ms is not None else "not yet measured"
    if stage < 2 and (step is None or step.stage != 2):
        notes.append(
            f"You do not need PostgreSQL yet: {f.lock_waits} writes waited for SQLite's write "
            f"lock in the last {_hours(f.window)}, and p95 read latency is {p95}."
        )
    cpu_ok = f.cpu_percent is None or f.cpu_percent <= CPU_LIMIT
    if stage < 3 and (step is None or step.stage != 3) and cpu_ok:
        cpu = f"{f.cpu_percent:.0f}%" if f.cpu_percent is not None else "not yet measured"
        notes.append(
            f"You do not need more app instances yet: the product's median CPU is {cpu} "
            f"(limit {CPU_LIMIT:.0f}%)."
        )
    reads_ok = f.read_p95_ms is None or f.read_p95_ms <= READ_P95_LIMIT_MS
    if stage < 4 and (step is None or step.stage != 4) and reads_ok:
        gain = (
            f"{f.db_ms_per_read:.1f} ms" if f.db_ms_per_read is not None else "an unmeasured amount"
        )
        notes.append(
            f"You do not need Redis yet: p95 read latency is {p95}; a perfect cache hit ratio "
            f"would gain at most {gain} of database time per read."
        )
    return notes


def _hours(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return "hour" if hours == 1 else f"{hours:g} hours"


def cpu_summary(f: Figures) -> str:
    """The product's CPU beside the whole machine's, e.g. "product 12%, whole machine 85%"."""
    if f.machine_cpu_percent is None:
        return ""
    product = f"{f.cpu_percent:.0f}%" if f.cpu_percent is not None else "not yet measured"
    line = f"product {product}, whole machine {f.machine_cpu_percent:.0f}%"
    if f.cpu_percent is not None and f.machine_cpu_percent - f.cpu_percent >= 1:
        line += ": other programs use the rest"
    return line


def others_busy(f: Figures, stage: int) -> str:
    """Why no step is advised when other programs take most of a box's CPU, else ""."""
    machine, product = f.machine_cpu_percent, f.cpu_percent
    limit = CPU_LIMIT if stage == 1 else INSTANCE_CPU_LIMIT
    if machine is None or product is None or machine <= limit:
        return ""
    if machine - product <= OTHERS_SHARE_LIMIT * machine:
        return ""
    return (
        f"Other programs take most of this machine's CPU: whole machine {machine:.0f}%, "
        f"the product {product:.0f}%. No stage is advised while they do: the figures measure "
        "the other programs as much as monoboard. Find what else runs on the box, or give "
        "monoboard a machine of its own, then look again."
    )


def settings_evidence(figures: Figures) -> Evidence:
    return Evidence.of(
        figures,
        min_minutes=int(settings.ADVISOR_MIN_MINUTES),
        min_requests=int(settings.ADVISOR_MIN_REQUESTS),
    )


def advise(figures: Figures, config: Configuration, evidence: Evidence | None = None) -> Advice:
    """The advice; ``evidence`` defaults to the figures against the settings' rule."""
    stage = detect_stage(config)
    figures = replace(figures, replicas=config.replicas)
    evidence = evidence or settings_evidence(figures)
    ts = thresholds(figures, stage)
    advice = Advice(stage, STAGES[stage], ts, None, [], evidence, cpu_summary=cpu_summary(figures))
    if not evidence.enough:
        advice.held_back = f"Not enough data yet: {evidence.missing}"
        return advice
    advice.held_back = others_busy(figures, stage)
    if advice.held_back:
        return advice
    advice.next_step = next_step(stage, ts, figures)
    advice.not_needed = not_needed(stage, figures, advice.next_step)
    return advice
