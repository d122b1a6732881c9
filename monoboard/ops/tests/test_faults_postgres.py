"""Faults: PostgreSQL restarts or stops under API writes (stage 2, via PgBouncer).

The product runs under ``manage.py serve`` against PgBouncer in transaction
mode, the stage-2 shape of ``make stage2``. Four clients post ideas through
the API while PostgreSQL is restarted, then while it is down for a few
seconds. Counted: what the clients got, how long until writes succeed again,
and whether every write answered 201 is in the database.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_faults_postgres.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.tests.faults import (
    OWN_SERVERS,
    Load,
    product_env,
    request,
    running,
    seed,
    success_sent_after,
    wait_until,
)
from monoboard.testing.servers import (
    PostgresServer,
    pgbouncer_server,
    postgres_server,
)

pytestmark = OWN_SERVERS

OUTAGE_S = 3.0
RESTART_DOWN_S = 0.3


@dataclass
class Site:
    pg: PostgresServer
    port: int
    key: str
    log: Path

    def errors(self) -> str:
        """The server's error lines and tracebacks, for a failure message."""
        lines = self.log.read_text(errors="replace").splitlines()
        # 503s are expected during an outage; what matters is anything else.
        wanted = [
            line
            for line in lines
            if ("ERROR" in line and "Service Unavailable" not in line)
            or line.startswith(("  ", "T", "psycopg", "django"))
        ]
        return "\n".join(wanted)[-6000:]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("pgfaults")
    with postgres_server() as pg, pgbouncer_server(pg) as bouncer:
        env = product_env(
            base / "site",
            DATABASE_URL=bouncer.url(),
            DATABASE_DIRECT_URL=pg.url(),
            DB_POOL="pgbouncer",
            REALTIME_SERVE="0",
            JOBS_IN_SERVE="0",
        )
        key = seed(env)
        port = free_port()
        argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve"]
        argv += ["--port", str(port), "--workers", "2"]
        with running(argv, env, log=base / "serve.log"):
            wait_for_port("127.0.0.1", port, timeout=60)
            assert wait_until(lambda: request(port)[0] == 200, timeout=60) is not None
            yield Site(pg, port, key, base / "serve.log")


def writer(site: Site, tag: str) -> Load:
    auth = {"Authorization": f"Bearer {site.key}"}
    return Load(
        lambda n: request(
            site.port,
            "POST",
            "/api/v1/boards/features/posts",
            body={"title": f"{tag} write number {n}"},
            headers=auth,
            timeout=30,
        ),
        clients=4,
        pause_s=0.05,
    )


def saved_titles(site: Site, tag: str) -> set[str]:
    out = site.pg.psql(
        f"SELECT title FROM boards_post WHERE title LIKE '{tag} write number %'",  # noqa: S608
        dbname=site.pg.dbname,
    )
    return set(out.splitlines())


def check_writes(site: Site, load: Load, tag: str) -> dict[str, int]:
    """Counts, printed; then asserts that every 201 is saved and no write answered 500."""
    answered = [o for o in load.outcomes if o.status == 201]
    created = {json.loads(o.body)["title"] for o in answered}
    saved = saved_titles(site, tag)
    statuses = load.counts()
    figures = {str(k): v for k, v in statuses.items()}
    figures["saved"] = len(saved)
    figures["saved but not answered 201"] = len(saved - created)
    print(f"\n{tag}: {figures}")
    assert created <= saved, f"answered 201 but not saved: {sorted(created - saved)[:5]}"
    assert statuses.get(500, 0) == 0, f"writes answered 500: {figures}\n{site.errors()}"
    for o in load.outcomes:
        if o.status == 503:
            assert o.headers.get("retry-after"), "a 503 without Retry-After"
            assert o.headers.get("content-type") == "application/problem+json"
    return figures


def test_postgres_restart_under_writes(site: Site) -> None:
    with writer(site, "restart") as load:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        site.pg.stop()
        time.sleep(RESTART_DOWN_S)
        site.pg.start()
        ready_at = time.monotonic()
        wait_until(lambda: success_sent_after(load, ready_at, 201) is not None, timeout=30)
        back = success_sent_after(load, ready_at, 201)
        time.sleep(0.5)
    print(f"\nrestart: down {ready_at - stopped_at:.1f} s, writes back {back} s after ready")
    figures = check_writes(site, load, "restart")
    failed = sum(n for s, n in load.counts().items() if s != 201)
    print(
        f"\nPostgreSQL restart: down {ready_at - stopped_at:.1f} s; writes back"
        f" {back} s after it was ready; {failed} failed writes; {figures}"
    )
    assert back is not None and back < 5, "writes did not come back within 5 s of the restart"


def test_postgres_outage_answers_503(site: Site) -> None:
    readyz: list[int | str] = []
    with writer(site, "outage") as load:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        site.pg.stop()
        try:
            time.sleep(0.3)
            page = request(site.port, path="/b/features/", timeout=10)
            while time.monotonic() - stopped_at < OUTAGE_S:
                readyz.append(request(site.port, path="/readyz", timeout=10)[0])
                time.sleep(0.3)
        finally:
            site.pg.start()
        ready_at = time.monotonic()
        wait_until(lambda: success_sent_after(load, ready_at, 201) is not None, timeout=30)
        back = success_sent_after(load, ready_at, 201)
        time.sleep(0.5)
    print(f"\noutage: /readyz {readyz}; writes back {back} s after start")
    figures = check_writes(site, load, "outage")
    print(
        f"\nPostgreSQL down {ready_at - stopped_at:.1f} s: writes {figures};"
        f" /readyz during it {sorted(set(map(str, readyz)))}; writes back {back} s after start"
    )
    status, headers, body = page
    print(f"a page during the outage: {status} {headers.get('content-type')}")
    assert status == 503 and headers.get("retry-after")
    assert headers.get("content-type", "").startswith("text/html")
    assert b"Back in a moment" in body
    assert load.counts().get(503, 0) > 0, "no write met the outage: lengthen OUTAGE_S"
    # A balancer takes a probe that times out as "not ready", like a 503; on a
    # busy machine one probe may wait behind the writes for a thread.
    not_ready = [s for s in readyz[1:] if s in (503, "TimeoutError")]
    assert readyz and len(not_ready) == len(readyz) - 1, f"/readyz during the outage: {readyz}"
    assert 503 in readyz, f"/readyz never answered 503 during the outage: {readyz}"
    assert back is not None
