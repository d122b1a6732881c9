"""Every advisor rule, driven by synthetic metric histories."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from monoboard.ops import advisor
from monoboard.ops.advisor import Configuration, Figures
from monoboard.ops.models import LATENCY_BUCKETS_MS, ProcessCpu, RequestRollup, SystemSample

SQLITE = Configuration(database_vendor="sqlite")
POSTGRES = Configuration(database_vendor="postgresql", pooled=True)
BEHIND_PROXY = Configuration(database_vendor="postgresql", pooled=True, behind_proxy=True)
WITH_CACHE = Configuration(
    database_vendor="postgresql", pooled=True, behind_proxy=True, cache_shared=True
)


def buckets_at(ms: float, count: int) -> list[int]:
    """All requests in the bucket that holds ``ms``."""
    out = [0] * (len(LATENCY_BUCKETS_MS) + 1)
    index = next(
        (i for i, bound in enumerate(LATENCY_BUCKETS_MS) if ms <= bound), len(LATENCY_BUCKETS_MS)
    )
    out[index] = count
    return out


#: A window that carries enough evidence for advice (the default rule: 15 minutes, 1,000 requests).
ENOUGH = {"minutes": 60, "requests": 6000}


def measured(**figures: Any) -> Figures:
    """Figures over a window with enough evidence for advice."""
    return Figures(**{**ENOUGH, **figures})


def product_cpu_rows(minute: Any, percent: float, *, host: str = "", cores: int = 2) -> None:
    """The product's CPU for one minute, written by two processes as they do."""
    seconds = percent / 100 * 60 * cores
    for pid in (41, 42):
        ProcessCpu.objects.create(
            minute=minute, host=host, process=f"{host}/{pid}", cpu_seconds=seconds / 2, cores=cores
        )


def history(
    *,
    read_ms: float,
    reads: int = 1200,
    writes: int = 60,
    lock_waits: int = 0,
    lock_wait_ms: float = 0.0,
    cpu: float | None = None,
    machine_cpu: float | None = None,
    minutes: int = 30,
) -> None:
    """Store ``minutes`` of rollups ending now, and samples when ``cpu`` is given:
    ``cpu`` the product's processes', ``machine_cpu`` (default ``cpu``) the box's."""
    now = timezone.now().replace(second=0, microsecond=0)
    for m in range(1, minutes + 1):
        minute = now - timedelta(minutes=m)
        RequestRollup.objects.create(
            minute=minute,
            route="/b/<slug:slug>/",
            method="GET",
            count=reads // minutes,
            buckets=buckets_at(read_ms, reads // minutes),
            duration_ms_sum=read_ms * reads / minutes,
            db_queries=5 * reads // minutes,
            db_ms_sum=2.0 * reads / minutes,
        )
        RequestRollup.objects.create(
            minute=minute,
            route="/b/<slug:slug>/p/<int:post_id>/vote/",
            method="POST",
            count=writes // minutes,
            buckets=buckets_at(20, writes // minutes),
            lock_waits=lock_waits // minutes,
            lock_wait_ms_sum=lock_wait_ms * (lock_waits // minutes),
        )
        if cpu is not None:
            box = cpu if machine_cpu is None else machine_cpu
            SystemSample.objects.create(minute=minute, cpu_percent=box, memory_percent=40.0)
            product_cpu_rows(minute, cpu)


# The command reports the stage of the database the suite runs on; its stage-1
# wording is checked on SQLite, and the rules themselves on every database
# through advise() with an explicit configuration.
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="prints the stage-1 advice of a SQLite site"
)


def run_advise(*args: str) -> str:
    out = StringIO()
    call_command("advise", *args, stdout=out)
    return out.getvalue()


@on_sqlite
@pytest.mark.django_db
def test_quiet_single_box_is_told_to_stay_and_what_it_does_not_need() -> None:
    history(read_ms=20, cpu=15.0)
    text = run_advise()
    assert "Stage 1: single box (SQLite)" in text
    assert "Next step: none" in text
    assert "You do not need PostgreSQL yet" in text
    assert "You do not need Redis yet" in text
    assert "OVER" not in text


@on_sqlite
@pytest.mark.django_db
def test_sqlite_write_lock_waits_call_for_postgresql() -> None:
    history(read_ms=20, writes=600, lock_waits=300, lock_wait_ms=120.0, cpu=30.0)
    text = run_advise()
    assert "OVER SQLite write-lock wait" in text
    assert "Next step: Move the database to PostgreSQL" in text
    assert "docs/scaling.md#stage-1-to-stage-2" in text
    assert "You do not need PostgreSQL yet" not in text


@pytest.mark.django_db
def test_slow_reads_on_a_single_box_call_for_postgresql() -> None:
    history(read_ms=240, cpu=50.0)
    advice = advisor.advise(advisor.measure(), SQLITE)
    assert [t.name for t in advice.crossed] == ["p95 read latency"]
    assert advice.next_step is not None and advice.next_step.stage == 2


@pytest.mark.django_db
def test_too_few_requests_say_nothing_about_latency() -> None:
    history(read_ms=900, reads=30, writes=0)
    figures = advisor.measure()
    assert figures.read_p95_ms is None
    assert advisor.advise(figures, SQLITE).next_step is None


@pytest.mark.django_db
def test_one_slow_route_is_named() -> None:
    history(read_ms=20)
    now = timezone.now().replace(second=0, microsecond=0)
    RequestRollup.objects.create(
        minute=now - timedelta(minutes=2),
        route="/search/",
        method="GET",
        count=60,
        buckets=buckets_at(900, 60),
    )
    advice = advisor.advise(advisor.measure(), SQLITE)
    slowest = next(t for t in advice.thresholds if t.name == "p95 of the slowest route")
    assert slowest.crossed and slowest.note == "GET /search/"


def test_sustained_cpu_on_stage_2_calls_for_more_instances() -> None:
    advice = advisor.advise(measured(read_p95_ms=60, cpu_percent=88), POSTGRES)
    assert advice.stage == 2
    assert advice.next_step is not None and advice.next_step.stage == 3
    assert "CPU (median) is 88%" in advice.next_step.why


def test_connections_near_the_limit_call_for_pgbouncer_first() -> None:
    figures = measured(read_p95_ms=60, cpu_percent=90, db_connections=46, db_max_connections=50)
    advice = advisor.advise(figures, POSTGRES)
    assert advice.next_step is not None and "PgBouncer" in advice.next_step.title


def test_slow_reads_behind_a_balancer_call_for_cache_and_replicas() -> None:
    advice = advisor.advise(measured(read_p95_ms=180, cpu_percent=40), BEHIND_PROXY)
    assert advice.stage == 3
    assert advice.next_step is not None and advice.next_step.stage == 4


def test_cold_cache_and_replica_lag_are_thresholds_from_stage_4() -> None:
    figures = measured(read_p95_ms=50, cpu_percent=40, cache_hit_ratio=0.5, replica_lag_ms=2500)
    advice = advisor.advise(figures, WITH_CACHE)
    assert advice.stage == 4
    assert {t.name for t in advice.crossed} == {"cache hit ratio", "replica lag"}
    stage_one = advisor.advise(figures, SQLITE)
    shown = {t.name: t for t in stage_one.thresholds}
    assert shown["cache hit ratio"].value == 50  # the page cache, shown from stage 1
    assert "cache hit ratio" not in {t.name for t in stage_one.crossed}
    assert "replica lag" not in shown


@pytest.mark.django_db
def test_the_cache_hit_ratio_comes_from_the_page_cache_counts_in_the_rollups() -> None:
    history(read_ms=20, reads=600, minutes=30)
    assert advisor.measure().cache_hit_ratio is None  # nothing cacheable was served
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    RequestRollup.objects.create(
        minute=minute, route="/", method="GET", count=400, cache_hits=300, cache_misses=100
    )
    assert advisor.measure().cache_hit_ratio == pytest.approx(0.75)


def test_a_healthy_stage_2_site_needs_nothing() -> None:
    figures = measured(read_p95_ms=40, cpu_percent=30, db_connections=10, db_max_connections=100)
    advice = advisor.advise(figures, POSTGRES)
    assert advice.next_step is None
    assert any("more app instances" in note for note in advice.not_needed)


def test_waiting_jobs_are_a_threshold() -> None:
    advice = advisor.advise(measured(jobs_oldest_age_s=300), SQLITE)
    assert "oldest waiting job" in {t.name for t in advice.crossed}


def test_p95_comes_from_the_bucket_holding_the_95th_request() -> None:
    buckets = buckets_at(20, 90)
    buckets[LATENCY_BUCKETS_MS.index(500)] = 10
    assert advisor.p95_from_buckets(buckets) == 500
    assert advisor.p95_from_buckets([0] * 14) is None


@pytest.mark.django_db
def test_advise_speaks_json_and_rejects_a_bad_window() -> None:
    history(read_ms=20)
    data = json.loads(run_advise("--json"))
    # The suite runs with no proxy; Redis and a replica only in the stage-4 run.
    assert data["stage"] == suite_stage()
    assert data["next_step"] is None
    with pytest.raises(CommandError):
        run_advise("--hours", "0")


@pytest.mark.django_db
def test_a_single_busy_minute_is_not_sustained_cpu() -> None:
    history(read_ms=20, cpu=99.0, minutes=3)
    figures = advisor.measure()
    assert figures.cpu_percent is None
    assert advisor.advise(figures, SQLITE).next_step is None


@pytest.mark.django_db
def test_sustained_busy_cpu_on_a_single_box_calls_for_postgresql_first() -> None:
    history(read_ms=20, cpu=95.0, minutes=20)
    advice = advisor.advise(advisor.measure(), SQLITE)
    assert advice.next_step is not None and advice.next_step.stage == 2
    # Never "you do not need X" while the figure that would say so is over its limit.
    assert not any("more app instances" in note for note in advice.not_needed)


def test_slow_reads_never_come_with_a_you_do_not_need_redis_note() -> None:
    advice = advisor.advise(measured(read_p95_ms=300, cpu_percent=20), POSTGRES)
    assert not any("Redis" in note for note in advice.not_needed)


# --- The stage ladder, from hand-built configurations -------------------------------

PG = "postgresql"

STAGE_TABLE: list[tuple[str, Configuration, int]] = [
    ("SQLite", Configuration(database_vendor="sqlite"), 1),
    ("SQLite behind a TLS proxy", Configuration(database_vendor="sqlite", behind_proxy=True), 1),
    (
        "SQLite with every other knob set",
        Configuration(
            database_vendor="sqlite", behind_proxy=True, cache_shared=True, replicas=1, pooled=True
        ),
        1,
    ),
    ("PostgreSQL, direct", Configuration(database_vendor=PG), 2),
    (
        "PostgreSQL, pooled (psycopg or PgBouncer)",
        Configuration(database_vendor=PG, pooled=True),
        2,
    ),
    ("+ BEHIND_PROXY", Configuration(database_vendor=PG, pooled=True, behind_proxy=True), 3),
    ("unpooled, behind a proxy", Configuration(database_vendor=PG, behind_proxy=True), 3),
    (
        "+ a shared cache (Redis)",
        Configuration(database_vendor=PG, pooled=True, behind_proxy=True, cache_shared=True),
        4,
    ),
    (
        "+ a replica",
        Configuration(
            database_vendor=PG, pooled=True, behind_proxy=True, cache_shared=True, replicas=1
        ),
        4,
    ),
    (
        "replicas without a shared cache",
        Configuration(database_vendor=PG, pooled=True, behind_proxy=True, replicas=2),
        4,
    ),
    ("two instances, no proxy setting", Configuration(database_vendor=PG, instances=2), 3),
    ("SQLite, two instances", Configuration(database_vendor="sqlite", instances=2), 1),
    ("a shared cache, one instance", Configuration(database_vendor=PG, cache_shared=True), 4),
    ("a replica, one instance", Configuration(database_vendor=PG, replicas=1), 4),
]


@pytest.mark.parametrize(
    ("config", "stage"), [(c, s) for _, c, s in STAGE_TABLE], ids=[n for n, _, _ in STAGE_TABLE]
)
def test_detect_stage(config: Configuration, stage: int) -> None:
    assert advisor.detect_stage(config) == stage
    assert advisor.advise(Figures(), config).stage_name == advisor.STAGES[stage]


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False)])
def test_current_configuration_reads_behind_proxy(
    settings: Any, value: bool, expected: bool
) -> None:
    settings.BEHIND_PROXY = value
    assert advisor.current_configuration().behind_proxy is expected


@pytest.mark.parametrize(
    ("backend", "shared"),
    [
        ("django.core.cache.backends.redis.RedisCache", True),
        ("django.core.cache.backends.memcached.PyMemcacheCache", True),
        ("django.core.cache.backends.locmem.LocMemCache", False),
        ("django.core.cache.backends.dummy.DummyCache", False),
    ],
)
def test_current_configuration_reads_the_default_cache(
    settings: Any, backend: str, shared: bool
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:9/0"},
    }
    assert advisor.current_configuration().cache_shared is shared


def test_current_configuration_reads_pgbouncer_pooling(settings: Any) -> None:
    settings.DB_POOL = "pgbouncer"
    assert advisor.current_configuration().pooled is True


@on_sqlite
def test_a_sqlite_site_is_not_pooled(settings: Any) -> None:
    assert advisor.current_configuration().pooled is False


def test_current_configuration_counts_replica_aliases(settings: Any) -> None:
    assert advisor.current_configuration().replicas == len(settings.DATABASE_REPLICA_URLS)
    default = dict(settings.DATABASES["default"])
    with pytest.warns(UserWarning, match="DATABASES"):
        settings.DATABASES = {
            **settings.DATABASES,
            "replica1": default,
            "replica2": default,
            "analytics": default,
        }
    config = advisor.current_configuration()
    assert config.replicas == 2
    assert advisor.detect_stage(config) == (1 if connection.vendor == "sqlite" else 4)


def test_current_configuration_reads_the_database_vendor() -> None:
    assert advisor.current_configuration().database_vendor in ("sqlite", "postgresql")
    assert advisor.current_configuration().database_vendor == connection.vendor


def suite_stage(*, behind_proxy: bool = False) -> int:
    """The stage of the run the suite is in: scripts/test's stage-4 run adds Redis and a replica."""
    from django.conf import settings

    if connection.vendor == "sqlite":
        return 1
    if settings.REDIS_URL or settings.DATABASE_REPLICA_URLS:
        return 4
    return 3 if behind_proxy else 2


def test_the_suite_runs_at_its_databases_stage(settings: Any) -> None:
    settings.BEHIND_PROXY = False
    assert advisor.detect_stage(advisor.current_configuration()) == suite_stage()
    settings.BEHIND_PROXY = True
    expected = suite_stage(behind_proxy=True)
    assert advisor.detect_stage(advisor.current_configuration()) == expected


# --- Stage 3: more instances, or not (the database is the bottleneck) -----------------

STAGE3 = Configuration(database_vendor=PG, pooled=True, behind_proxy=True, instances=2)
SLOW_ROUTE = [advisor.RouteFigure("/b/<slug:slug>/", "GET", 500, 750.0)]

#: (case, configuration, figures, next stage or None, words the step's title holds)
STAGE3_TABLE: list[tuple[str, Configuration, Figures, int | None, str]] = [
    (
        "stage 2, one box at 72 % CPU, database 10 % of a read",
        POSTGRES,
        measured(cpu_percent=72, db_ms_per_read=3, read_ms_mean=30),
        3,
        "several app instances",
    ),
    (
        "stage 2, CPU over, but the database takes 80 % of a read",
        POSTGRES,
        measured(cpu_percent=90, db_ms_per_read=40, read_ms_mean=50),
        4,
        "read replica",
    ),
    (
        "stage 3, busiest box at 85 % CPU, database 20 %",
        STAGE3,
        measured(cpu_percent=85, db_ms_per_read=4, read_ms_mean=20),
        3,
        "Add app instances",
    ),
    (
        "stage 3, a route at 750 ms p95, database 10 %",
        STAGE3,
        measured(routes=SLOW_ROUTE, db_ms_per_read=5, read_ms_mean=50),
        3,
        "Add app instances",
    ),
    (
        "stage 3, a route at 750 ms p95, database 70 %",
        STAGE3,
        measured(routes=SLOW_ROUTE, db_ms_per_read=35, read_ms_mean=50),
        4,
        "read replica",
    ),
    (
        "stage 3, CPU over, connections near the limit",
        STAGE3,
        measured(cpu_percent=90, db_connections=95, db_max_connections=100),
        4,
        "read replica",
    ),
    (
        "stage 3, quiet: 40 % CPU, routes fast",
        STAGE3,
        measured(cpu_percent=40, read_p95_ms=50, db_ms_per_read=2, read_ms_mean=10),
        None,
        "",
    ),
    (
        "stage 3 detected from two instances answering, no proxy setting",
        Configuration(database_vendor=PG, pooled=True, instances=2),
        measured(cpu_percent=80, db_ms_per_read=1, read_ms_mean=10),
        3,
        "Add app instances",
    ),
]


@pytest.mark.parametrize(
    ("config", "figures", "stage", "title"),
    [(c, f, s, t) for _, c, f, s, t in STAGE3_TABLE],
    ids=[n for n, *_ in STAGE3_TABLE],
)
def test_more_instances_only_when_the_database_is_not_the_bottleneck(
    config: Configuration, figures: Figures, stage: int | None, title: str
) -> None:
    step = advisor.advise(figures, config).next_step
    if stage is None:
        assert step is None
        return
    assert step is not None and step.stage == stage
    assert title in step.title
    if stage == 3:
        assert step.doc == "docs/scaling.md#stage-3-several-instances-behind-nginx"


@pytest.mark.django_db
def test_figures_per_instance_and_the_busiest_box(settings: Any) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    for m in range(1, 21):
        minute = now - timedelta(minutes=m)
        for process, ms in (("app-1:8100/41", 20), ("app-2:8102/77", 600)):
            RequestRollup.objects.create(
                minute=minute,
                route="/b/<slug:slug>/",
                method="GET",
                process=process,
                count=20,
                errors=1,
                buckets=buckets_at(ms, 20),
                duration_ms_sum=ms * 20.0,
            )
        SystemSample.objects.create(minute=minute, host="app-1", cpu_percent=30.0)
        SystemSample.objects.create(minute=minute, host="app-2", cpu_percent=90.0)
        product_cpu_rows(minute, 28.0, host="app-1")
        product_cpu_rows(minute, 20.0, host="app-2")
    figures = advisor.measure()
    assert [(i.name, i.requests, i.errors) for i in figures.instances] == [
        ("app-1:8100", 400, 20),
        ("app-2:8102", 400, 20),
    ]
    assert [i.p95_ms for i in figures.instances] == [25, 750]
    # The busiest box, not the median of both: by the whole machine's CPU, and
    # (another box here) by the CPU the product's own processes use.
    assert figures.machine_cpu_percent == 90.0
    assert figures.cpu_percent == pytest.approx(28.0)
    settings.INSTANCES = 1
    settings.BEHIND_PROXY = False
    assert advisor.current_configuration(figures).instances == 2


P95, CPU = "p95 read latency", "CPU (median)"
WITH_REPLICA = Configuration(
    database_vendor="postgresql", pooled=True, behind_proxy=True, cache_shared=True, replicas=1
)


@pytest.mark.parametrize(
    ("figures", "step_title", "crossed"),
    [
        # Slow reads with the CPU high: another replica takes reads off the primary.
        (measured(read_p95_ms=180, cpu_percent=90), "Add a read replica (now 1)", {P95, CPU}),
        # Slow reads alone (CPU fine): not a replica's job; the next rung.
        (measured(read_p95_ms=180, cpu_percent=40), "Take the next rung", {P95}),
        # A lagging replica is a warning first, whatever else is crossed.
        (
            measured(read_p95_ms=180, cpu_percent=90, replica_lag_ms=5000),
            "Find why the replica lags",
            {P95, CPU, "replica lag"},
        ),
        (measured(read_p95_ms=40, cpu_percent=30, replica_lag_ms=900), None, set()),
    ],
)
def test_stage_4_rules_for_replicas(
    figures: Figures, step_title: str | None, crossed: set[str]
) -> None:
    advice = advisor.advise(figures, WITH_REPLICA)
    assert advice.stage == 4
    assert {t.name for t in advice.crossed} == crossed
    if step_title is None:
        assert advice.next_step is None
    else:
        assert advice.next_step is not None and advice.next_step.title.startswith(step_title)


def test_the_lag_limit_is_the_routers(settings: Any) -> None:
    settings.REPLICA_MAX_LAG_MS = 5000
    advice = advisor.advise(measured(replica_lag_ms=2500), WITH_REPLICA)
    assert "replica lag" not in {t.name for t in advice.crossed}


# --- Evidence, and the product's CPU against the whole machine's -------------------

YOUNG = "Not enough data yet: 1 minute and 100 requests measured; advice needs at least "
OTHERS = "Other programs take most of this machine's CPU"

#: (case, configuration, figures, next stage or None, words that hold the step back)
EVIDENCE_TABLE: list[tuple[str, Configuration, Figures, int | None, str]] = [
    (
        "a young site: one minute, ~100 requests, CPU over",
        SQLITE,
        Figures(minutes=1, requests=100, cpu_percent=95, machine_cpu_percent=97),
        None,
        YOUNG + "15 minutes and 1,000 requests.",
    ),
    (
        "45 minutes but only 340 requests, reads slow",
        SQLITE,
        Figures(minutes=45, requests=340, read_p95_ms=300),
        None,
        "45 minutes and 340 requests measured",
    ),
    (
        "5,000 requests in 12 minutes, CPU over",
        POSTGRES,
        Figures(minutes=12, requests=5000, cpu_percent=90, machine_cpu_percent=92),
        None,
        "12 minutes and 5,000 requests measured",
    ),
    (
        "a box busy with other programs: machine 90 %, product 5 %",
        SQLITE,
        measured(cpu_percent=5, machine_cpu_percent=90),
        None,
        OTHERS + ": whole machine 90%, the product 5%",
    ),
    (
        "other programs busy at stage 2, reads slow too",
        POSTGRES,
        measured(read_p95_ms=180, cpu_percent=20, machine_cpu_percent=95),
        None,
        OTHERS,
    ),
    (
        "sustained product CPU over, enough requests: PostgreSQL",
        SQLITE,
        measured(cpu_percent=88, machine_cpu_percent=92),
        2,
        "",
    ),
    (
        "stage 2, product 72 % of a box at 80 %: more instances",
        POSTGRES,
        measured(cpu_percent=72, machine_cpu_percent=80, db_ms_per_read=3, read_ms_mean=30),
        3,
        "",
    ),
    (
        "machine at 60 %, product 10 %: under the limit, nothing held back",
        SQLITE,
        measured(cpu_percent=10, machine_cpu_percent=60),
        None,
        "",
    ),
]


@pytest.mark.parametrize(
    ("config", "figures", "stage", "held_back"),
    [(c, f, s, h) for _, c, f, s, h in EVIDENCE_TABLE],
    ids=[n for n, *_ in EVIDENCE_TABLE],
)
def test_advice_needs_evidence_and_the_products_own_cpu(
    settings: Any, config: Configuration, figures: Figures, stage: int | None, held_back: str
) -> None:
    settings.ADVISOR_MIN_MINUTES, settings.ADVISOR_MIN_REQUESTS = 15, 1000
    advice = advisor.advise(figures, config)
    if stage is None:
        assert advice.next_step is None
    else:
        assert advice.next_step is not None and advice.next_step.stage == stage
    if held_back:
        assert held_back in advice.held_back
        assert advice.not_needed == []  # no "you do not need X" without the evidence for it
    else:
        assert advice.held_back == ""


def test_the_evidence_rule_is_a_setting(settings: Any) -> None:
    settings.ADVISOR_MIN_MINUTES, settings.ADVISOR_MIN_REQUESTS = 30, 2000
    figures = measured(minutes=20, requests=1500, cpu_percent=90)
    advice = advisor.advise(figures, SQLITE)
    assert advice.next_step is None
    assert advice.held_back == (
        "Not enough data yet: 20 minutes and 1,500 requests measured; "
        "advice needs at least 30 minutes and 2,000 requests."
    )
    assert advice.evidence is not None and "at least 30 minutes" in advice.evidence.rule
    settings.ADVISOR_MIN_MINUTES, settings.ADVISOR_MIN_REQUESTS = 10, 1000
    step = advisor.advise(figures, SQLITE).next_step
    assert step is not None and step.stage == 2


def test_the_cpu_summary_names_other_programs() -> None:
    figures = measured(cpu_percent=12, machine_cpu_percent=85)
    assert advisor.cpu_summary(figures) == (
        "product 12%, whole machine 85%: other programs use the rest"
    )
    assert advisor.cpu_summary(measured(cpu_percent=12)) == ""


@pytest.mark.django_db
def test_a_young_site_with_a_busy_machine_is_not_sent_to_postgresql() -> None:
    # The reported case: an hour-old site, ~100 requests in one minute, the box
    # at 97 % because of other programs.
    history(read_ms=20, reads=100, writes=0, cpu=6.0, machine_cpu=97.0, minutes=1)
    figures = advisor.measure()
    assert (figures.minutes, figures.requests) == (1, 100)
    assert figures.cpu_percent is None  # one sample is not sustained
    advice = advisor.advise(figures, SQLITE)
    assert advice.next_step is None
    assert advice.held_back.startswith(YOUNG)


@pytest.mark.django_db
def test_the_products_cpu_is_summed_over_its_processes_per_host_and_minute() -> None:
    history(read_ms=20, cpu=30.0, machine_cpu=90.0, minutes=20)
    figures = advisor.measure()
    # Two processes with 18 s each per minute on 2 cores: 36 s / 120 s.
    assert figures.cpu_percent == pytest.approx(30.0)
    assert figures.machine_cpu_percent == 90.0
    advice = advisor.advise(figures, SQLITE)
    assert advice.next_step is None
    assert OTHERS in advice.held_back
    assert "product 30%, whole machine 90%" in advice.cpu_summary


@pytest.mark.django_db
def test_a_sampled_minute_without_process_rows_counts_as_idle() -> None:
    history(read_ms=20, cpu=80.0, minutes=20)
    now = timezone.now().replace(second=0, microsecond=0)
    for m in range(21, 41):  # 20 more sampled minutes in which no product process wrote
        SystemSample.objects.create(minute=now - timedelta(minutes=m), cpu_percent=10.0)
    assert advisor.measure().cpu_percent == pytest.approx(40.0)  # median of 20 at 80 and 20 at 0


@on_sqlite
@pytest.mark.django_db
def test_advise_says_not_enough_data_and_what_is_missing() -> None:
    history(read_ms=20, reads=100, writes=0, cpu=6.0, machine_cpu=97.0, minutes=1)
    text = run_advise()
    assert "Next step: none yet. Not enough data yet: 1 minute and 100 requests measured" in text
    assert "Evidence: A step is advised only when" in text
    assert "Move the database to PostgreSQL" not in text
    assert "You do not need" not in text


@on_sqlite
@pytest.mark.django_db
def test_advise_names_other_programs_instead_of_a_stage() -> None:
    history(read_ms=20, cpu=5.0, machine_cpu=90.0, minutes=30)
    text = run_advise()
    assert "CPU: product 5%, whole machine 90%: other programs use the rest" in text
    assert f"Next step: none yet. {OTHERS}" in text
    assert "Move the database to PostgreSQL" not in text


@on_sqlite
@pytest.mark.django_db
def test_advise_recommends_postgresql_on_sustained_product_cpu() -> None:
    history(read_ms=20, cpu=88.0, machine_cpu=92.0, minutes=30)
    text = run_advise()
    assert "OVER CPU (median)" in text
    assert "Next step: Move the database to PostgreSQL" in text
    assert "CPU (median) is 88% (limit 75%)" in text


@on_sqlite
def test_the_scale_page_states_the_rule_and_the_missing_data(admin_client: Any) -> None:
    history(read_ms=20, reads=100, writes=0, cpu=6.0, machine_cpu=97.0, minutes=1)
    text = admin_client.get("/ops/scale/").content.decode()
    assert "No step advised yet" in text
    assert "Not enough data yet: 1 minute and 100 requests measured" in text
    assert "A step is advised only when the window holds at least 15 minutes" in text
    assert "Move the database to PostgreSQL" not in text


@on_sqlite
def test_the_scale_page_shows_both_cpu_figures_and_names_other_programs(
    admin_client: Any,
) -> None:
    history(read_ms=20, cpu=12.0, machine_cpu=85.0, minutes=30)
    text = admin_client.get("/ops/scale/").content.decode()
    assert "CPU: product 12%, whole machine 85%: other programs use the rest." in text
    assert "Other programs take most of this machine&#x27;s CPU" in text  # HTML-escaped
    assert "Next step:" not in text
