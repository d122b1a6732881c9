"""Pytest fixtures for throwaway PostgreSQL and PgBouncer servers.

Import the ones a test module needs (``from monoboard.testing.fixtures import
pg_server``). Tests using them are skipped, with the reason, on a machine
where the servers are not installed (``scripts/pg-install`` installs them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from monoboard.testing.s3 import S3Server, s3_server
from monoboard.testing.servers import (
    PgBouncerServer,
    PostgresServer,
    pgbouncer_server,
    postgres_server,
    servers_available,
)

needs_servers = pytest.mark.skipif(
    not servers_available(), reason="PostgreSQL/PgBouncer not installed (scripts/pg-install)"
)


@pytest.fixture
def db_any_alias(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access on any connection alias, the test database as default.

    For commands that open connections of their own (copysite): Django's test
    case would refuse aliases it did not know when the test began. Nothing
    rolls back afterwards, so such tests must not write to ``default``.
    """
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the session (max_connections=100)."""
    if not servers_available():
        pytest.skip("PostgreSQL/PgBouncer not installed (scripts/pg-install)")
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pgbouncer(pg_server: PostgresServer) -> Iterator[PgBouncerServer]:
    """A transaction-mode PgBouncer in front of ``pg_server``."""
    with pgbouncer_server(pg_server) as bouncer:
        yield bouncer


@pytest.fixture
def pg_empty_database(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh empty database on ``pg_server``, as a URL; dropped afterwards."""
    name = f"scratch_{next(_counter)}"
    pg_server.psql(f'CREATE DATABASE "{name}" OWNER "{pg_server.user}"')
    try:
        yield pg_server.url(name)
    finally:
        pg_server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_counter = itertools.count(1)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """moto's S3-compatible server on a free loopback port, for the whole session."""
    with s3_server() as server:
        yield server
