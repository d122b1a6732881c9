"""Faults: ``make stage2`` (scripts/stage2) is SIGKILLed, then started again.

SIGKILL gives the supervisor (``monoboard.testing.withdb``) no chance to stop
PostgreSQL, PgBouncer or the product. The next start must not run silently on
what was left: it finds the servers by their pid files, stops them with a log
line and starts its own; the product of the killed run stops by itself.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_faults_stage2.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port
from monoboard.ops.tests.faults import OWN_SERVERS, alive, cmdline, request, running, wait_until

pytestmark = OWN_SERVERS


def processes_using(path: Path) -> dict[int, str]:
    """Live processes whose command line names ``path``: {pid: command line}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if (
            entry.name.isdigit()
            and str(path) in (line := cmdline(int(entry.name)))
            and alive(int(entry.name))
        ):
            found[int(entry.name)] = line
    return found


def servers(directory: Path) -> dict[str, int]:
    """{"postgres": pid, "pgbouncer": pid} of the servers running on ``directory``."""
    found = {}
    for pid, line in processes_using(directory).items():
        if "pgbouncer.ini" in line:
            found["pgbouncer"] = pid
        elif "/postgres " in line and " -D " in line:
            found["postgres"] = pid
    return found


@pytest.fixture
def stage2_dir() -> Iterator[Path]:
    """A folder the postgres account can reach (pytest's tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="monoboard-stage2-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        # Whatever a failed run left: the servers, then their files.
        for name, pid in servers(base).items():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)
        wait_until(lambda: not servers(base), timeout=20)
        shutil.rmtree(base, ignore_errors=True)


def started(process: subprocess.Popen[bytes], port: int) -> float | None:
    """Seconds until the product answers on ``port``; None if the script ended first."""
    answered = wait_until(
        lambda: process.poll() is not None or request(port, path="/healthz")[0] == 200,
        timeout=180,
        step=0.5,
    )
    return answered if process.poll() is None else None


def test_a_killed_stage2_leaves_nothing_behind(tmp_path: Path, stage2_dir: Path) -> None:
    directory = stage2_dir
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))},
        "PORT": str(port),
        "STAGE2_DIR": str(directory),
        "STAGE2_PG_PORT": str(free_port()),
        "STAGE2_BOUNCER_PORT": str(free_port()),
        "REALTIME_SERVE": "0",
        "JOBS_IN_SERVE": "0",
        "WEB_WORKERS": "1",
        "SECRET_KEY": "fault-test-only",
        "LOG_LEVEL": "WARNING",
    }
    script = [str(settings.BASE_DIR / "scripts" / "stage2")]
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with running(script, env, log=first_log) as first:
        up = started(first, port)
        assert up is not None, first_log.read_text()[-3000:]
        before = servers(directory)
        product = [p for p, line in processes_using(Path("manage.py")).items() if "serve" in line]
        print(f"\nfirst run up after {up:.1f} s: servers {before}")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert set(before) == {"postgres", "pgbouncer"}
    time.sleep(1.0)
    left = {name: pid for name, pid in before.items() if alive(pid)}
    product_left = [p for p in product if alive(p) and "serve" in cmdline(p)]
    print(f"after SIGKILL: servers still running {left}; product processes left {product_left}")
    product_gone = wait_until(lambda: not any(alive(p) for p in product_left), timeout=20)
    for pid in product_left:  # so that it cannot answer for the second run
        if alive(pid):
            os.kill(pid, signal.SIGTERM)

    with running(script, env, log=second_log) as second:
        up = started(second, port)
        after = servers(directory)
        log = second_log.read_text()
        print(f"second run up after {up} s: servers {after}")
        print("\n".join(line for line in log.splitlines() if "earlier run" in line))
        assert up is not None, log[-3000:]
        assert request(port, path="/readyz")[0] == 200
        assert set(after) == {"postgres", "pgbouncer"}
        for name, pid in left.items():
            assert not alive(pid), f"the {name} left by the killed run is still running"
            assert after[name] != pid, f"the second run is running on the old {name}"
            assert f"pid {pid}" in log, f"no log line about the {name} left running"
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert product_gone is not None, "the killed run's product kept running"
    stopped = wait_until(lambda: not servers(directory), timeout=30)
    assert stopped is not None, f"servers left after a clean stop: {servers(directory)}"
