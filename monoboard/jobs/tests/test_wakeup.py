"""PostgreSQL: NOTIFY wakes an idle worker at once instead of its next poll.

The worker polls only every 60 s here, so a task done within seconds of
being queued was started by the notification. In the PgBouncer run
(scripts/test) the worker LISTENs on its direct connection
(DATABASE_DIRECT_URL) and the test's own writes still notify.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from monoboard.jobs.tests import tasks
from monoboard.jobs.tests.conftest import StartWorker, wait_until
from monoboard.jobs.wakeup import APPLICATION_NAME

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

LONG_POLL = "60"
WELL_BEFORE_THE_POLL = 10.0


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite idle workers poll")


def idle_after_listening(log: Path, times: int) -> bool:
    """The worker has (re)connected ``times`` times and a thread went idle since.

    The listener wakes the threads right after it logs "listening"; a thread
    that went idle after that line is waiting for its 60 s poll.
    """
    text = log.read_text() if log.exists() else ""
    parts = text.split("listening on monoboard_jobs")
    return len(parts) == times + 1 and ": idle" in parts[-1]


def done(result_id: str) -> bool:
    return DBTaskResult.objects.get(id=result_id).status == TaskResultStatus.SUCCESSFUL


def listener_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_an_idle_worker_runs_a_new_task_long_before_its_next_poll(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    log = tmp_path / "worker0.log"
    start_worker("-v", "3", JOBS_POLL_INTERVAL_S=LONG_POLL)
    wait_until(lambda: idle_after_listening(log, 1), what="the worker to listen and go idle")

    result = tasks.add.enqueue(2, 3)

    wait_until(lambda: done(result.id), timeout=WELL_BEFORE_THE_POLL, what="the task to run")
    assert DBTaskResult.objects.get(id=result.id).return_value == 5


def test_the_worker_listens_again_after_its_connection_is_killed(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    log = tmp_path / "worker0.log"
    proc = start_worker("-v", "3", JOBS_POLL_INTERVAL_S=LONG_POLL)
    wait_until(lambda: idle_after_listening(log, 1), what="the worker to listen and go idle")
    [first] = listener_pids()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    wait_until(lambda: idle_after_listening(log, 2), what="the worker to listen again")
    result = tasks.add.enqueue(4, 5)

    wait_until(lambda: done(result.id), timeout=WELL_BEFORE_THE_POLL, what="the task to run")
    assert proc.poll() is None
    assert listener_pids() not in ([], [first])
