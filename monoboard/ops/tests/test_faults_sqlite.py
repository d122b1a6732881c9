"""Faults: another process holds the SQLite write lock (stage 1).

A second process keeps ``BEGIN IMMEDIATE`` open on the database file for
``HOLD_S`` seconds, longer than twice the busy timeout. Meanwhile pages,
API reads with a key (whose "last used" time is due a write) and /readyz
must answer without waiting for the lock; an API write waits once and
answers 503 with Retry-After; once the lock is gone writes succeed again.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_faults_sqlite.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.tests.faults import product_env, request, running, seed, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="stage 1 (SQLite) only: runs in that run"
    ),
]

BUSY_TIMEOUT_S = 3
HOLD_S = 2 * BUSY_TIMEOUT_S + 3

HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def timed(send: object) -> tuple[float, tuple[int | str, dict[str, str], bytes]]:
    started = time.monotonic()
    result = send()  # type: ignore[operator]
    return time.monotonic() - started, result


def test_a_held_write_lock(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = product_env(site, SQLITE_BUSY_TIMEOUT=str(BUSY_TIMEOUT_S), SLOW_QUERY_MS="50")
    env.update(REALTIME_SERVE="0", JOBS_IN_SERVE="0")
    key = seed(env)
    auth = {"Authorization": f"Bearer {key}"}
    port = free_port()
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve"]
    argv += ["--port", str(port), "--workers", "2"]
    with running(argv, env, log=tmp_path / "serve.log"):
        wait_for_port("127.0.0.1", port, timeout=60)
        assert wait_until(lambda: request(port)[0] == 200, timeout=60) is not None
        assert request(port, path="/readyz")[0] == 200
        post_path = "/api/v1/posts/1"

        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(site / "monoboard.sqlite3"), str(HOLD_S)],
            stdout=subprocess.PIPE,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
            locked_at = time.monotonic()
            results: dict[str, tuple[float, tuple[int | str, dict[str, str], bytes]]] = {}

            def write() -> None:
                results["write"] = timed(
                    lambda: request(
                        port,
                        "POST",
                        "/api/v1/boards/features/posts",
                        body={"title": "Written while the lock is held"},
                        headers=auth,
                    )
                )

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            results["page"] = timed(lambda: request(port))
            results["api read"] = timed(lambda: request(port, path=post_path, headers=auth))
            results["api read again"] = timed(lambda: request(port, path=post_path, headers=auth))
            results["readyz"] = timed(lambda: request(port, path="/readyz"))
            writer.join(timeout=HOLD_S + 30)
            still_locked = time.monotonic() - locked_at < HOLD_S
        finally:
            holder.wait(timeout=HOLD_S + 30)
        print()
        for name, (took, (status, headers, body)) in results.items():
            print(
                f"{name}: {status} in {took:.2f} s"
                f" retry-after={headers.get('retry-after')} {body[:120]!r}"
            )
        for name in ("page", "api read", "api read again"):
            took, (status, _, _) = results[name]
            assert status == 200, f"{name} answered {status} while the lock was held"
            assert took < BUSY_TIMEOUT_S * 0.8, f"{name} waited {took:.1f} s for the write lock"
        took, (status, headers, body) = results["readyz"]
        assert status == 503 and took < BUSY_TIMEOUT_S * 0.8
        assert "lock" in json.loads(body)["error"]
        took, (status, headers, body) = results["write"]
        assert still_locked, "the lock was released before the write answered; raise HOLD_S"
        assert status == 503, f"a write under the lock answered {status}, not 503"
        assert headers.get("retry-after")
        assert headers.get("content-type") == "application/problem+json"
        assert took < 2 * BUSY_TIMEOUT_S, f"the write waited {took:.1f} s: more than once"
        # The lock is gone: writes work again.
        status, _, _ = request(
            port, "POST", "/api/v1/boards/features/posts", body={"title": "After"}, headers=auth
        )
        assert status == 201
        assert request(port, path="/readyz")[0] == 200
