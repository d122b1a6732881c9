from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from monoboard.boards.models import Board
from monoboard.ops import advisor, sampling
from monoboard.ops.metrics import rollup
from monoboard.ops.models import RequestRollup, SlowQuery, SystemSample


def test_liveness_needs_no_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_database_and_migrations(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_metrics_exposes_request_counts_in_prometheus_format(outsider_client: Client) -> None:
    outsider_client.get("/")
    response = outsider_client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert "# TYPE monoboard_http_requests_total counter" in body
    assert 'monoboard_http_requests_total{method="GET",route="boards:home",status="2xx"}' in body
    assert "monoboard_http_request_duration_seconds_bucket" in body
    assert "monoboard_db_queries_per_request" in body


def _sample(body: str, name: str, labels: str) -> float:
    line = next((ln for ln in body.splitlines() if ln.startswith(f"{name}{{{labels}}} ")), None)
    return float(line.split()[-1]) if line else 0.0


def test_metrics_counts_cpu_time_per_route_for_visitors_and_members(
    outsider_client: Client, member_client: Client
) -> None:
    def cpu(client: Client) -> tuple[float, float]:
        body = client.get("/metrics").content.decode()
        name = "monoboard_http_request_cpu_seconds"
        home = 'method="GET",route="boards:home"'
        return (
            _sample(body, f"{name}_count", f'{home},viewer="visitor"')
            + _sample(body, f"{name}_count", f'{home},viewer="member"') * 1000,
            _sample(body, f"{name}_sum", f'{home},viewer="member"'),
        )

    count_before, member_cpu_before = cpu(outsider_client)
    outsider_client.get("/")
    outsider_client.get("/")
    member_client.get("/")
    count_after, member_cpu_after = cpu(outsider_client)
    assert count_after - count_before == 2 + 1000  # two visitors' requests, one member's
    assert member_cpu_after > member_cpu_before


@pytest.mark.django_db
def test_metrics_is_hidden_from_public_addresses() -> None:
    assert Client(REMOTE_ADDR="8.8.8.8").get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200


def test_requests_fold_into_one_rollup_row_per_route_and_minute(
    outsider_client: Client, settings: Any, public_board: Board
) -> None:
    settings.METRICS_ROLLUPS = True
    rollup.buffer.take_all()  # start from an empty buffer
    for _ in range(3):
        outsider_client.get(f"/b/{public_board.slug}/")
    outsider_client.get("/")
    finished = rollup.buffer.take_all()
    assert finished is not None
    rollup.write_rollups(*finished)
    rows = {(r.route, r.method): r for r in RequestRollup.objects.all()}
    board_rows = [r for (route, _), r in rows.items() if "<slug:slug>" in route or "slug" in route]
    assert sum(r.count for r in board_rows) == 3
    assert all(sum(r.buckets) == r.count for r in rows.values())
    assert all(r.db_queries > 0 for r in board_rows)


def test_page_cache_hits_and_misses_are_counted_per_route_and_minute(
    outsider_client: Client, settings: Any, public_board: Board, member_client: Client
) -> None:
    settings.METRICS_ROLLUPS = True
    rollup.buffer.take_all()
    for _ in range(3):
        outsider_client.get(f"/b/{public_board.slug}/")  # one miss, then hits
    member_client.get(f"/b/{public_board.slug}/")  # members bypass the cache
    finished = rollup.buffer.take_all()
    assert finished is not None
    rollup.write_rollups(*finished)
    row = RequestRollup.objects.get(route__contains="board_slug", method="GET")
    assert (row.count, row.cache_hits, row.cache_misses) == (4, 2, 1)


def test_slow_queries_are_logged_with_route_and_code_location(
    outsider_client: Client, settings: Any, public_board: Board
) -> None:
    settings.SLOW_QUERY_LOG = True
    settings.SLOW_QUERY_MS = 0.0  # every query counts as slow
    outsider_client.get(f"/b/{public_board.slug}/")
    logged = list(SlowQuery.objects.all())
    assert logged
    assert any(q.location.startswith("monoboard.boards") for q in logged)
    assert all("%s" in q.sql or "?" not in q.sql for q in logged)  # values never stored
    out = StringIO()
    call_command("slowqueries", "--limit", "3", stdout=out)
    assert "1. " in out.getvalue()
    assert "SELECT" in out.getvalue()


@pytest.mark.django_db
def test_slowqueries_says_so_when_nothing_was_slow() -> None:
    out = StringIO()
    call_command("slowqueries", stdout=out)
    assert "No query was slower" in out.getvalue()


@pytest.mark.django_db
def test_system_sample_reads_the_box_and_prune_keeps_thirty_days() -> None:
    sample = sampling.take_sample()
    assert sample.cpu_percent is not None and 0 <= sample.cpu_percent <= 100
    assert sample.memory_percent is not None and 0 < sample.memory_percent < 100
    assert sample.jobs_ready == 0 and sample.jobs_oldest_age_s == 0.0
    old = timezone.now() - timedelta(days=31)
    SystemSample.objects.create(minute=old)
    RequestRollup.objects.create(minute=old, route="/x", method="GET", count=1, buckets=[1])
    SlowQuery.objects.create(created_at=old, fingerprint="f", sql="SELECT 1", duration_ms=500)
    assert sampling.prune() == 3
    assert SystemSample.objects.filter(pk=sample.pk).exists()


def test_scale_page_is_for_admins_and_shows_the_advice(
    admin_client: Client, member_client: Client, outsider_client: Client
) -> None:
    # Enough evidence for advice: 20 minutes and 1,600 requests.
    for m in range(1, 21):
        history_minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=m)
        RequestRollup.objects.create(
            minute=history_minute, route="/", method="GET", count=80, buckets=[80] + [0] * 13
        )
        SystemSample.objects.create(minute=history_minute, cpu_percent=12.0, memory_percent=30.0)
    page = admin_client.get("/ops/scale/")
    assert page.status_code == 200
    text = page.content.decode()
    stage = advisor.detect_stage(advisor.current_configuration())
    assert f"stage {stage}: {advisor.STAGES[stage]}" in text
    assert "No step is due" in text
    assert "<polyline" in text
    if stage == 1:
        assert "You do not need PostgreSQL yet" in text
    assert member_client.get("/ops/scale/").status_code == 403
    assert outsider_client.get("/ops/scale/").status_code == 302


def test_scale_page_shows_instances_side_by_side(admin_client: Client) -> None:
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=3)
    for process in ("app-1:8100/5", "app-2:8102/6"):
        RequestRollup.objects.create(
            minute=minute, route="/", method="GET", process=process, count=60, buckets=[60]
        )
    text = admin_client.get("/ops/scale/").content.decode()
    assert "<h2>Instances</h2>" in text
    assert "<code>app-1:8100</code>" in text and "<code>app-2:8102</code>" in text


@pytest.mark.django_db
def test_system_sample_records_the_job_backlog() -> None:
    from monoboard.ops.tasks import prune_metrics

    prune_metrics.enqueue()
    prune_metrics.enqueue()
    sample = sampling.take_sample()
    assert sample.jobs_ready == 2
    assert sample.jobs_oldest_age_s is not None and sample.jobs_oldest_age_s >= 0.0


@pytest.mark.django_db
def test_metrics_shows_every_instance_side_by_side(settings: Any) -> None:
    settings.INSTANCE_NAME = "app-1:8100"
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    for process, count in (("app-1:8100/12", 70), ("app-2:8102/34", 30)):
        RequestRollup.objects.create(
            minute=minute, route="/", method="GET", process=process, count=count, errors=1
        )
    body = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    assert 'monoboard_instance_info{instance="app-1:8100"} 1.0' in body
    assert 'monoboard_instance_requests{instance="app-1:8100"} 70.0' in body
    assert 'monoboard_instance_requests{instance="app-2:8102"} 30.0' in body
    assert 'monoboard_instance_errors{instance="app-2:8102"} 1.0' in body
