"""Starting real ``manage.py runworker`` processes against this test run's database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

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
    """``start(*runworker_args, **env)``; its output goes to tmp_path/worker<n>.log."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **env_overrides: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": child_database_url(),
            "MONOBOARD_DATA_DIR": str(tmp_path / "data"),
            "JOBS_HEARTBEAT_S": "0.2",
            "JOBS_LEASE_S": "1.5",
            "JOBS_POLL_INTERVAL_S": "0.05",
            "JOBS_RETRY_BASE_DELAY_S": "0.1",
            "JOBS_SHUTDOWN_GRACE_S": "10",
            "JOBS_LOG_LEVEL": "INFO",  # the tests read its "listening" lines
            **env_overrides,
        }
        log = (tmp_path / f"worker{len(procs)}.log").open("wb")
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "runworker"]
        proc = subprocess.Popen(
            [*command, "--no-schedules", *args], env=env, stdout=log, stderr=subprocess.STDOUT
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
