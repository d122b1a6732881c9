"""Recurring tasks run once per period, however many workers race for it."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from monoboard.jobs import recurring
from monoboard.jobs.models import Schedule
from monoboard.jobs.schedules import period_start, run_due_schedules
from monoboard.jobs.tests import tasks

HOUR = datetime.timedelta(hours=1)
T0 = datetime.datetime(2026, 3, 1, 12, 0, 5, tzinfo=datetime.UTC)


@pytest.fixture
def only_noop_schedule() -> Iterator[None]:
    """Register one schedule and hide the others for the test's duration."""
    saved = dict(recurring._registry)
    recurring._registry.clear()
    recurring.register("test.noop", tasks.noop, HOUR)
    try:
        yield
    finally:
        recurring._registry.clear()
        recurring._registry.update(saved)


def test_periods_are_aligned_to_the_epoch() -> None:
    assert period_start(T0, HOUR) == datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    assert period_start(T0, datetime.timedelta(days=1)) == datetime.datetime(
        2026, 3, 1, tzinfo=datetime.UTC
    )


def test_register_refuses_sub_second_periods() -> None:
    with pytest.raises(ValueError, match="once a second"):
        recurring.register("too.fast", tasks.noop, datetime.timedelta(milliseconds=10))


def test_the_jobs_app_registers_its_cleanup() -> None:
    assert "jobs.prune_finished" in {r.name for r in recurring.registered()}


@pytest.mark.django_db
def test_runs_once_per_period(only_noop_schedule: None) -> None:
    assert run_due_schedules(T0) == ["test.noop"]
    assert run_due_schedules(T0 + datetime.timedelta(minutes=30)) == []
    assert run_due_schedules(T0 + HOUR) == ["test.noop"]
    assert DBTaskResult.objects.filter(task_path__endswith=".noop").count() == 2
    assert Schedule.objects.get(name="test.noop").last_run_at == T0 + HOUR


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_claim_each_period_once(only_noop_schedule: None) -> None:
    wins: list[list[str]] = []
    errors: list[BaseException] = []

    def worker(now: datetime.datetime, barrier: threading.Barrier) -> None:
        try:
            barrier.wait(timeout=10)
            wins.append(run_due_schedules(now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    for period in range(3):
        now = T0 + period * HOUR
        for _round in range(2):  # a second round in the same period claims nothing
            barrier = threading.Barrier(2)
            threads = [threading.Thread(target=worker, args=(now, barrier)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
                assert not t.is_alive()
    assert errors == []
    assert sorted(len(w) for w in wins).count(1) == 3  # one winner per period
    assert sum(len(w) for w in wins) == 3
    assert DBTaskResult.objects.filter(task_path__endswith=".noop").count() == 3
