"""The worker as a real process: SIGTERM while idle and busy, SIGKILL recovery.

Each test starts ``manage.py runworker`` against this test run's SQLite file
and waits on database rows and files, every wait bounded by a timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from monoboard.boards.models import Board
from monoboard.jobs.models import WorkerHeartbeat
from monoboard.jobs.tests import tasks

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

StartWorker = Callable[..., subprocess.Popen[bytes]]


def wait_until(check: Callable[[], bool], *, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


def child_database_url() -> str:
    """DATABASE_URL for a child process: this test run's database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
    return f"postgres://{user}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env_overrides: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": child_database_url(),
            "MONOBOARD_DATA_DIR": str(tmp_path / "data"),
            "JOBS_HEARTBEAT_S": "0.2",
            "JOBS_LEASE_S": "1.5",
            "JOBS_POLL_INTERVAL_S": "0.05",
            "JOBS_RETRY_BASE_DELAY_S": "0.1",
            "JOBS_SHUTDOWN_GRACE_S": "10",
            **env_overrides,
        }
        log = (tmp_path / f"worker{len(procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "runworker", "--no-schedules"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def status(result_id: str) -> str:
    return str(DBTaskResult.objects.get(id=result_id).status)


def test_sigterm_while_idle_exits_cleanly(start_worker: StartWorker) -> None:
    proc = start_worker()
    wait_until(lambda: WorkerHeartbeat.objects.exists(), what="the worker's heartbeat")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not WorkerHeartbeat.objects.exists()


def test_sigterm_while_busy_finishes_the_task_in_hand(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    flag, started = tmp_path / "flag", tmp_path / "started"
    result = tasks.wait_for_flag.enqueue(str(flag), str(started), "busy")
    proc = start_worker()
    wait_until(lambda: lines(started) == 1, what="the task to start")
    proc.send_signal(signal.SIGTERM)
    flag.touch()
    assert proc.wait(timeout=15) == 0
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 1
    assert Board.objects.filter(slug__startswith="busy-").count() == 1


def test_sigterm_past_the_grace_period_releases_the_task(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    flag, started = tmp_path / "flag", tmp_path / "started"
    result = tasks.wait_for_flag.enqueue(str(flag), str(started), "slow")
    proc = start_worker(JOBS_SHUTDOWN_GRACE_S="0.3")
    wait_until(lambda: lines(started) == 1, what="the task to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.READY  # back in the queue, untried
    assert row.worker_ids == []
    assert not Board.objects.filter(slug__startswith="slow-").exists()


def test_a_task_whose_worker_was_killed_runs_again_and_completes_once(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    flag, started = tmp_path / "flag", tmp_path / "started"
    result = tasks.wait_for_flag.enqueue(str(flag), str(started), "recovered")
    first = start_worker()
    wait_until(lambda: lines(started) == 1, what="the first run to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert status(result.id) == TaskResultStatus.RUNNING  # left behind by the dead worker

    flag.touch()
    second = start_worker()
    wait_until(
        lambda: status(result.id) == TaskResultStatus.SUCCESSFUL,
        timeout=30,
        what="the task to be recovered and run again",
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0

    row = DBTaskResult.objects.get(id=result.id)
    assert lines(started) == 2  # it ran twice ...
    assert len(row.worker_ids) == 2 and row.worker_ids[0] != row.worker_ids[1]
    assert Board.objects.filter(slug__startswith="recovered-").count() == 1  # ... completed once
    assert str(row.return_value).startswith("recovered-")
