"""The worker as a real process: SIGTERM while idle and busy, SIGKILL recovery.

Each test starts ``manage.py runworker`` against this test run's SQLite file
and waits on database rows and files, every wait bounded by a timeout.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from monoboard.boards.models import Board
from monoboard.jobs.models import WorkerHeartbeat
from monoboard.jobs.tests import tasks
from monoboard.jobs.tests.conftest import StartWorker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


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


def niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field is the nice value; the name in field 2
    # is in parentheses and may hold spaces, so count from its end.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_worker_yields_the_cpu_to_requests_by_default(start_worker: StartWorker) -> None:
    base = niceness(os.getpid())
    default = start_worker()
    chosen = start_worker("--nice", "3")
    same = start_worker(JOBS_NICE="0")
    # A heartbeat comes after the priority is set, as the worker starts.
    wait_until(lambda: WorkerHeartbeat.objects.count() == 3, what="three heartbeats")
    assert niceness(default.pid) == min(base + 10, 19)
    assert niceness(chosen.pid) == min(base + 3, 19)
    assert niceness(same.pid) == base


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


def test_sigterm_releases_the_claimed_tasks_not_started(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    """A batch claim takes the blocker and the tasks queued behind it; on
    SIGTERM past the grace period all of them go back to the queue untried."""
    flag, started = tmp_path / "flag", tmp_path / "started"
    blocker = tasks.wait_for_flag.enqueue(str(flag), str(started), "held")
    behind = [tasks.add.enqueue(i, i) for i in range(3)]
    proc = start_worker(
        "--claim-batch", "8", JOBS_POLL_INTERVAL_S="60", JOBS_SHUTDOWN_GRACE_S="0.3"
    )
    wait_until(lambda: lines(started) == 1, what="the blocker to start")
    assert [status(r.id) for r in behind] == [TaskResultStatus.RUNNING] * 3  # claimed, waiting

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0

    for result_id in [blocker.id, *(r.id for r in behind)]:
        row = DBTaskResult.objects.get(id=result_id)
        assert (row.status, row.worker_ids) == (TaskResultStatus.READY, [])


def test_claimed_tasks_a_busy_worker_did_not_start_go_to_another_worker(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    flag, started = tmp_path / "flag", tmp_path / "started"
    blocker = tasks.wait_for_flag.enqueue(str(flag), str(started), "blocker")
    behind = [tasks.add.enqueue(i, i) for i in range(3)]
    busy = start_worker("--claim-batch", "8", "--worker-id", "busy")
    wait_until(lambda: lines(started) == 1, what="the blocker to start")

    free = start_worker("--worker-id", "free")
    wait_until(
        lambda: all(status(r.id) == TaskResultStatus.SUCCESSFUL for r in behind),
        what="the tasks behind the blocker to run elsewhere",
    )
    assert [DBTaskResult.objects.get(id=r.id).worker_ids for r in behind] == [["free"]] * 3

    flag.touch()
    wait_until(lambda: status(blocker.id) == TaskResultStatus.SUCCESSFUL, what="the blocker")
    for proc in (busy, free):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert DBTaskResult.objects.get(id=blocker.id).worker_ids == ["busy"]
