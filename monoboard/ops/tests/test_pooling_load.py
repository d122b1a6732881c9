"""Why PgBouncer: 200 concurrent clients against PostgreSQL's max_connections=50.

The product runs under granian (4 workers x 64 threads) with a new database
connection per request. Straight at PostgreSQL, the requests that arrive
while 47 connections are busy get "too many clients" and answer 503 (the
database is out of reach: try again, with Retry-After), never 500; through
PgBouncer (20 server connections) they queue briefly and all succeed.

Bounded: each leg sends at most ``MAX_REQUESTS`` requests or runs for
``LEG_SECONDS``, whichever ends first; every wait has a timeout. It brings
its own servers, so it runs once, in the SQLite run of scripts/test.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.tests import faults
from monoboard.ops.tests.faults import OWN_SERVERS
from monoboard.testing.servers import PostgresServer, pgbouncer_server, postgres_server

pytestmark = OWN_SERVERS

CLIENTS = 200
LEG_SECONDS = 4.0
MAX_REQUESTS = 4000
PAGE = faults.PAGE


def product_env(data_dir: Path, database_url: str, pool: str) -> dict[str, str]:
    return faults.product_env(
        data_dir,
        DATABASE_URL=database_url,
        DB_POOL=pool,
        DB_CONN_MAX_AGE="0",  # a new connection per request, the worst case
        LOG_LEVEL="CRITICAL",
    )


@contextlib.contextmanager
def granian(env: dict[str, str]) -> Iterator[int]:
    """The product under granian, 4 workers x 64 threads; yields its port."""
    port = free_port()
    argv = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "4", "--blocking-threads", "64", "--backlog", "1024",
        "--no-ws", "--log-level", "error", "monoboard.wsgi:application",
    ]  # fmt: skip
    process = subprocess.Popen(
        argv,
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 60
        status = get(port)
        while status != 200:  # the first request can come before Django is ready
            assert time.monotonic() < deadline, f"the product answered {status}, not 200"
            time.sleep(0.2)
            status = get(port)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def get(port: int) -> int | str:
    """Status of one GET, or the kind of error that stopped it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", PAGE)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError as exc:
        return type(exc).__name__
    finally:
        conn.close()


def drive(port: int) -> Counter[int | str]:
    """CLIENTS threads hammering PAGE, all released at once; outcome counts."""
    outcomes: Counter[int | str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)
    sent = 0
    stop_at = 0.0

    def client() -> None:
        nonlocal sent, stop_at
        if start.wait(timeout=60) == 0:
            stop_at = time.monotonic() + LEG_SECONDS
        while True:
            with lock:
                if sent >= MAX_REQUESTS or (stop_at and time.monotonic() > stop_at):
                    return
                sent += 1
            outcome = get(port)
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LEG_SECONDS + 120)
    return outcomes


@dataclass(frozen=True)
class Site:
    pg: PostgresServer
    data_dir: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """PostgreSQL with max_connections=50, migrated and seeded; static files collected."""
    with postgres_server(max_connections=50) as pg:
        data_dir = tmp_path_factory.mktemp("load")
        faults.seed(product_env(data_dir, pg.url(), "none"))
        yield Site(pg, data_dir)


def test_direct_connections_run_out(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    with granian(product_env(site.data_dir, site.pg.url(), "none")) as port:
        outcomes = drive(port)
    with capsys.disabled():
        print(f"\ndirect, max_connections=50, {CLIENTS} clients: {dict(outcomes)}")

    assert outcomes[503] > 0
    assert outcomes[500] == 0
    assert "too many clients" in site.pg.log_path.read_text(errors="replace")


def test_pgbouncer_serves_every_request(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    with (
        pgbouncer_server(site.pg, default_pool_size=20) as bouncer,
        granian(product_env(site.data_dir, bouncer.url(), "pgbouncer")) as port,
    ):
        outcomes = drive(port)
    with capsys.disabled():
        print(f"\nPgBouncer pool 20, {CLIENTS} clients: {dict(outcomes)}")

    assert sum(outcomes.values()) >= CLIENTS
    assert set(outcomes) == {200}
