"""Every product process stores the CPU it used per minute: the advisor's own share of a box."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from monoboard.boards.models import Board
from monoboard.ops import sampling
from monoboard.ops.metrics import cpu, rollup
from monoboard.ops.models import ProcessCpu


def test_the_meter_gives_the_seconds_used_since_its_last_reading() -> None:
    readings = iter([10.0, 10.5, 12.0, 11.0])
    meter = cpu.CpuMeter(clock=lambda: next(readings))
    assert meter.used() == pytest.approx(0.5)
    assert meter.used() == pytest.approx(1.5)
    assert meter.used() == 0.0  # a clock that goes back never gives negative CPU


def test_a_process_reads_its_own_cpu_time_and_cores() -> None:
    assert cpu.own_cpu_seconds() > 0
    assert cpu.cores() >= 1


@pytest.mark.django_db
def test_record_stores_this_processs_row_under_the_minute(settings: Any) -> None:
    settings.INSTANCE_NAME = "app-1:8100"
    minute = timezone.now().replace(second=0, microsecond=0)
    cpu.record(minute)
    row = ProcessCpu.objects.get()
    assert row.minute == minute
    assert row.host == socket.gethostname()[:80]
    assert row.process == rollup.process_name()
    assert row.process.startswith("app-1:8100/")
    assert row.cpu_seconds >= 0 and row.cores == cpu.cores()


@pytest.mark.django_db
def test_the_sampler_stores_its_own_process_cpu_and_prune_drops_old_rows() -> None:
    sample = sampling.take_sample()
    assert ProcessCpu.objects.filter(minute=sample.minute, host=sample.host).count() == 1
    ProcessCpu.objects.create(minute=timezone.now() - timedelta(days=31), cpu_seconds=1.0)
    assert sampling.prune() == 1
    assert ProcessCpu.objects.count() == 1


def test_a_web_process_stores_its_cpu_when_a_minute_with_requests_is_over(
    outsider_client: Client, settings: Any, public_board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.METRICS_ROLLUPS = True
    rollup.buffer.take_all()  # start from an empty buffer
    real_now = timezone.now
    earlier = real_now() - timedelta(minutes=2)

    def two_minutes_ago() -> datetime:
        return earlier

    monkeypatch.setattr(timezone, "now", two_minutes_ago)
    outsider_client.get(f"/b/{public_board.slug}/")
    monkeypatch.setattr(timezone, "now", real_now)
    outsider_client.get(f"/b/{public_board.slug}/")  # a new minute: the last one is written
    rollup.buffer.take_all()
    row = ProcessCpu.objects.get()
    assert row.minute == rollup.minute_of(earlier)
    assert row.process == rollup.process_name()


@pytest.mark.django_db
def test_the_scale_charts_draw_the_products_cpu_beside_the_machines() -> None:
    from monoboard.ops import charts

    end = timezone.now().replace(second=0, microsecond=0)
    minute = end - timedelta(minutes=2)
    for host in ("app-1", "app-2"):  # 60 s and 30 s of 120 s: 50 % and 25 %, 37.5 % on average
        ProcessCpu.objects.create(
            minute=minute, host=host, cpu_seconds=60.0 if host == "app-1" else 30.0, cores=2
        )
    series = {
        s.title: s
        for s in charts.build_series(end=end, span=timedelta(minutes=5), step=timedelta(minutes=1))
    }
    assert dict(series["CPU, product"].points)[minute] == pytest.approx(37.5)
    assert "CPU, whole machine" in series
