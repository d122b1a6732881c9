"""Faults: a process of the stage-1 box dies (``manage.py serve``).

One web worker, the jobs worker and the events process are each SIGKILLed
under a small page load; the site must answer again and the killed process
must be back. A child that keeps crashing makes ``serve`` give up loudly.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_faults_processes.py
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.supervisor import Supervisor
from monoboard.ops.tests.faults import (
    Load,
    alive,
    cmdline,
    first_success_after,
    proc_children,
    product_env,
    request,
    running,
    seed,
    serving_on,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="stage 1 (SQLite) only: runs in that run"
    ),
]

WEB_WORKERS = 2


def serve_children(serve_pid: int) -> dict[str, int]:
    """{"web"|"events"|"worker": pid} of serve's live children."""
    found = {}
    for pid in proc_children(serve_pid):
        line = cmdline(pid)
        if "runworker" in line:
            found["worker"] = pid
        elif "asginl" in line:
            found["events"] = pid
        elif "granian" in line:
            found["web"] = pid
    return found


def test_killed_children_come_back(tmp_path: Path) -> None:
    env = product_env(tmp_path / "site", JOBS_POLL_INTERVAL_S="0.2")
    seed(env)
    port, events_port = free_port(), free_port()
    env["EVENTS_PORT"] = str(events_port)
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve"]
    argv += ["--port", str(port), "--workers", str(WEB_WORKERS)]
    with running(argv, env, log=tmp_path / "serve.log") as serve:
        wait_for_port("127.0.0.1", port, timeout=60)
        assert wait_until(lambda: request(port)[0] == 200, timeout=60) is not None
        assert wait_until(lambda: len(serve_children(serve.pid)) == 3, timeout=30) is not None
        web = serve_children(serve.pid)["web"]
        assert wait_until(lambda: len(proc_children(web)) == WEB_WORKERS, timeout=30) is not None

        with Load(lambda n: request(port, timeout=10), clients=4) as load:
            time.sleep(1.0)
            # 1. One web worker.
            victim = proc_children(web)[0]
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            assert wait_until(lambda: not alive(victim), timeout=5) is not None
            back = wait_until(
                lambda: serve.poll() is None and request(port, timeout=5)[0] == 200, timeout=15
            )
            wait_until(lambda: alive(web) and len(proc_children(web)) == WEB_WORKERS, timeout=20)
            respawned = (
                round(time.monotonic() - killed_at, 1)
                if len(proc_children(web)) == WEB_WORKERS
                else None
            )
            time.sleep(1.0)
            failed = sum(n for s, n in load.counts(killed_at).items() if s != 200)
            print(
                f"\nweb worker SIGKILL: {failed} failed of {sum(load.counts(killed_at).values())}"
                f" requests; answering again after {first_success_after(load, killed_at)} s;"
                f" worker respawned after {respawned} s"
            )
            assert serve.poll() is None, "serve stopped when one web worker died"
            assert back is not None, "the site did not answer within 15 s"
            assert respawned is not None, "the killed web worker was not replaced within 20 s"

            # 2. The jobs worker, then 3. the events process.
            for name in ("worker", "events"):
                victim = serve_children(serve.pid)[name]
                killed_at = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                returned = wait_until(
                    lambda name=name, victim=victim: (
                        serve.poll() is None  # type: ignore[misc]
                        and serve_children(serve.pid).get(name, victim) != victim
                    ),
                    timeout=20,
                )
                late = time.monotonic() - killed_at
                failed = sum(n for s, n in load.counts(killed_at).items() if s != 200)
                print(
                    f"{name} SIGKILL: serve alive={serve.poll() is None}; back after"
                    f" {returned} s; {failed} failed page requests in {late:.1f} s"
                )
                assert serve.poll() is None, f"serve stopped when the {name} process died"
                assert returned is not None, f"the {name} process was not restarted within 20 s"
                assert request(port)[0] == 200
            events_back = wait_until(
                lambda: request(events_port, "GET", "/")[0] not in ("ConnectionRefusedError",),
                timeout=20,
            )
            print(f"events port answering again after {events_back} s")
            assert events_back is not None
        print(f"all requests: {dict(load.counts())}")

        # Ctrl-C / SIGTERM still stops everything.
        children = serve_children(serve.pid)
        grandchildren = proc_children(children["web"])
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        assert serve.returncode == 0
        gone = wait_until(
            lambda: not any(alive(p) for p in [*children.values(), *grandchildren]), timeout=10
        )
        assert gone is not None, "children left running after SIGTERM"
        # Nothing killed along the way left a process behind (granian's
        # workers outlive a SIGKILLed granian unless their group is ended).
        left = wait_until(lambda: not serving_on(events_port) and not serving_on(port), timeout=10)
        assert left is not None, f"left serving: {serving_on(events_port) + serving_on(port)}"


def test_crash_loop_gives_up_loudly() -> None:
    lines: list[str] = []
    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    steady = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor = Supervisor(
        {"crashy": crash, "steady": steady},
        env=dict(os.environ),
        log=lines.append,
        backoff_s=0.05,
        backoff_max_s=0.2,
        give_up_crashes=5,
        give_up_window_s=60,
        poll_s=0.05,
    )
    started = time.monotonic()
    code = supervisor.run()
    took = time.monotonic() - started
    print(f"\ncrash loop: gave up after {took:.1f} s; " + " | ".join(lines))
    assert code == 1
    assert supervisor.children["crashy"].restarts == 4
    assert "giving up: crashy exited 5 times within 60 s" in lines[-1]
    steady_process = supervisor.children["steady"].process
    assert steady_process is not None and steady_process.poll() is not None  # stopped too
    assert took < 30


def test_a_killed_serve_leaves_nothing_serving(tmp_path: Path) -> None:
    env = product_env(tmp_path / "site", REALTIME_SERVE="1", JOBS_IN_SERVE="1")
    seed(env)
    port = free_port()
    env["EVENTS_PORT"] = str(free_port())
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve"]
    argv += ["--port", str(port), "--workers", "1"]
    with running(argv, env, log=tmp_path / "serve.log") as serve:
        assert wait_until(lambda: request(port)[0] == 200, timeout=60) is not None
        assert wait_until(lambda: len(serve_children(serve.pid)) == 3, timeout=30) is not None
        children = serve_children(serve.pid)
        workers = proc_children(children["web"])
        serve.kill()
        serve.wait(timeout=10)
        gone = wait_until(
            lambda: not any(alive(p) for p in [*children.values(), *workers]), timeout=20
        )
        left = {name: pid for name, pid in children.items() if alive(pid)}
        print(f"\nserve SIGKILL: children gone after {gone} s; left {left}")
        for pid in [*children.values(), *workers]:  # whatever is left, for the next test
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        assert gone is not None, f"children of a killed serve kept running: {left}"
