"""The connection-budget system check against a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from monoboard.lib.database import postgres_database
from monoboard.ops.checks import connection_budget
from monoboard.testing import fixtures
from monoboard.testing.servers import PostgresServer

pg_server = fixtures.pg_server  # max_connections=100, 3 reserved


def manage_check(pg: PostgresServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check` in its own process, configured like an operator would."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_", "WEB_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        env={**inherited, "DATABASE_URL": pg.url(), "DB_POOL": "psycopg", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_warns_when_workers_times_pool_exceed_max_connections(pg_server: PostgresServer) -> None:
    result = manage_check(
        pg_server, "--database", "default", WEB_WORKERS="12", DB_POOL_MAX_SIZE="10"
    )

    assert result.returncode == 0, result.stderr
    assert "monoboard.W020" in result.stderr
    assert "can open 123 database connections" in result.stderr  # 120 + 2 listeners + 1
    assert "allows 97 (max_connections 100 - 3 reserved)" in result.stderr


@pytest.mark.slow
def test_quiet_within_budget_and_without_databases(pg_server: PostgresServer) -> None:
    within = manage_check(
        pg_server, "--database", "default", WEB_WORKERS="4", DB_POOL_MAX_SIZE="10"
    )
    over_but_no_database = manage_check(pg_server, WEB_WORKERS="12", DB_POOL_MAX_SIZE="10")

    assert "W020" not in within.stderr + within.stdout
    assert within.returncode == 0
    assert "W020" not in over_but_no_database.stderr + over_but_no_database.stdout


def test_budget_formula_per_pool_mode() -> None:
    url = "postgres://u:p@127.0.0.1:5/db"
    pooled = postgres_database(url, pool_mode="psycopg")
    unpooled = postgres_database(url, pool_mode="none")
    bounced = postgres_database(url, pool_mode="pgbouncer")
    sizes = {"web_workers": 4, "web_threads": 8, "listeners": 1, "workers": 2}

    assert connection_budget(pooled, **sizes).total == 4 * 10 + 1 + 2
    assert connection_budget(unpooled, **sizes).total == 4 * 8 + 1 + 2
    assert connection_budget(bounced, **sizes).total == 0 + 1 + 2


@pytest.mark.slow
def test_pgbouncer_without_direct_url_is_flagged(pg_server: PostgresServer) -> None:
    # Without --database nothing connects, so PgBouncer's address can be made up.
    bouncer = pg_server.url().replace(f":{pg_server.port}/", f":{pg_server.port + 1}/")
    without = manage_check(pg_server, DATABASE_URL=bouncer, DB_POOL="pgbouncer")
    with_direct = manage_check(
        pg_server, DATABASE_URL=bouncer, DB_POOL="pgbouncer", DATABASE_DIRECT_URL=pg_server.url()
    )

    assert "monoboard.W021" in without.stderr
    assert without.returncode == 0
    assert "W021" not in with_direct.stderr + with_direct.stdout
    assert with_direct.returncode == 0
