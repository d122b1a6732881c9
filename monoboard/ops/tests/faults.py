"""Shared pieces of the fault suite (``test_faults_*.py``).

Each fault test runs the real product in subprocesses on loopback, drives a
small bounded load at it, injects one fault and counts what the clients saw.
Figures are printed (run with ``-s``) for docs/operations.md; assertions are
on counts and generous bounds only, so a loaded machine does not fail them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.testing.servers import servers_available

SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from monoboard.accounts import credentials
from monoboard.accounts import services as accounts
from monoboard.boards import services as boards
admin = accounts.first_admin_create(email="ada@example.com", password="correct horse 9!")
board = boards.board_create(actor=admin, name="Features")
for i in range(5):
    boards.post_create(board=board, author=admin, title=f"Fault test idea {i}")
print(credentials.api_key_create(actor=admin, name="fault test").secret)
"""

PAGE = "/b/features/"

#: Marks for a test that starts its own PostgreSQL/PgBouncer: it runs once, in
#: the SQLite run of scripts/test, and skips where the servers are missing.
OWN_SERVERS = [
    pytest.mark.slow,
    pytest.mark.skipif(not servers_available(), reason="PostgreSQL/PgBouncer not installed"),
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="brings its own servers: runs once, in the SQLite run",
    ),
]


def product_env(data_dir: Path, **extra: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "DB_", "WEB_", "SQLITE_", "EVENTS_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "MONOBOARD_DATA_DIR": str(data_dir),
        "SECRET_KEY": "fault-test-only",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_PER_MINUTE": "100000",
        "API_ANON_RATE_LIMIT_PER_MINUTE": "100000",
        **extra,
    }


def seed(env: dict[str, str], script: str = SEED) -> str:
    """Migrate and seed the site (``script``: SEED or a variant); the admin's API key."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def request(
    port: int,
    method: str = "GET",
    path: str = PAGE,
    *,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int | str, dict[str, str], bytes]:
    """(status or error name, headers, body) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        content = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content
    except OSError as exc:
        return type(exc).__name__, {}, b""
    finally:
        conn.close()


def wait_until(check: Callable[[], bool], *, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``check()`` held, or None if it never did within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(step)
    return None


@dataclass
class Outcome:
    at: float
    status: int | str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    started: float = 0.0


class Load:
    """``clients`` threads sending ``make()`` requests until stopped or ``max_requests``."""

    def __init__(
        self,
        send: Callable[[int], tuple[int | str, dict[str, str], bytes]],
        *,
        clients: int = 4,
        max_requests: int = 5000,
        pause_s: float = 0.01,
    ) -> None:
        self.send, self.clients, self.max_requests, self.pause_s = (
            send,
            clients,
            max_requests,
            pause_s,
        )
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sent = 0

    def __enter__(self) -> Load:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._sent >= self.max_requests:
                    return
                self._sent += 1
                n = self._sent
            started = time.monotonic()
            status, headers, body = self.send(n)
            with self._lock:
                self.outcomes.append(Outcome(time.monotonic(), status, body, headers, started))
            self._stop.wait(self.pause_s)

    def since(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.at >= moment]

    def counts(self, since: float = 0.0, until: float = float("inf")) -> Counter[int | str]:
        with self._lock:
            return Counter(o.status for o in self.outcomes if since <= o.at < until)


def success_sent_after(load: Load, moment: float, ok: int) -> float | None:
    """Seconds from ``moment`` to the first ``ok`` answer to a request sent after it."""
    with load._lock:
        times = [o.at for o in load.outcomes if o.status == ok and o.started >= moment]
    return min(times) - moment if times else None


def first_success_after(load: Load, moment: float, *, ok: int = 200) -> float | None:
    """Seconds from ``moment`` to the first answer ``ok`` after the last failure."""
    outcomes = sorted(load.since(moment), key=lambda o: o.at)
    last_bad = None
    for o in outcomes:
        if o.status != ok:
            last_bad = o.at
    if last_bad is None:
        return 0.0
    for o in outcomes:
        if o.at > last_bad and o.status == ok:
            return o.at - moment
    return None


# --- processes -------------------------------------------------------------------------


def proc_children(pid: int) -> list[int]:
    """Live direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def serving_on(port: int) -> list[int]:
    """Live processes whose command line names ``--port <port>`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--port" in argv and str(port).encode() in argv and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextlib.contextmanager
def running(
    argv: list[str], env: dict[str, str], *, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own session, output to ``log``; SIGTERM then SIGKILL at the end."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
