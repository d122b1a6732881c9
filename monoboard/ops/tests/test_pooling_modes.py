"""Pool modes: the settings each produces, and that the product works in the
one this run uses (scripts/test runs these on SQLite, PostgreSQL with the
psycopg pool, and through PgBouncer in transaction mode)."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from conftest import make_user
from monoboard.accounts.models import User
from monoboard.lib.database import direct_conninfo, pool_mode, postgres_database

URL = "postgres://u:p@127.0.0.1:6432/site"


def test_psycopg_mode_pools_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "7")
    config = postgres_database(URL, pool_mode="psycopg")

    assert config["OPTIONS"]["pool"]["max_size"] == 7
    assert config["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert pool_mode(config) == "psycopg"


def test_pgbouncer_mode_keeps_nothing_on_the_server_between_transactions() -> None:
    config = postgres_database(URL, pool_mode="pgbouncer")

    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"]["prepare_threshold"] is None
    assert "pool" not in config["OPTIONS"]
    assert pool_mode(config) == "pgbouncer"


def test_direct_conninfo_keeps_the_database_django_uses() -> None:
    database = postgres_database(URL, pool_mode="pgbouncer") | {"NAME": "test_site"}
    info = direct_conninfo("postgres://u:p@127.0.0.1:5433/site", database=database)

    assert (info["host"], info["port"], info["dbname"]) == ("127.0.0.1", 5433, "test_site")


@pytest.mark.django_db(transaction=True)
def test_chunked_iteration_survives_another_session_taking_the_server_connection() -> None:
    """iterator() would use a server-side cursor, which lives on one server
    connection. Behind PgBouncer, another session in a transaction takes that
    connection, and the next fetch lands elsewhere ("cursor does not exist")
    unless server-side cursors are off, as DB_POOL=pgbouncer sets."""
    for i in range(30):
        make_user(f"reader{i}@example.com")
    second = connections.create_connection("default")
    try:
        rows = User.objects.order_by("id").iterator(chunk_size=7)
        first = next(rows)
        with second.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT count(*) FROM accounts_user")
            rest = list(rows)
            cursor.execute("COMMIT")
    finally:
        second.close()

    emails = [first.email] + [u.email for u in rest]
    assert emails == [f"reader{i}@example.com" for i in range(30)]


@pytest.mark.django_db(transaction=True)
def test_listen_works_on_the_direct_connection() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    info = direct_conninfo(settings.DATABASE_DIRECT_URL, database=connection.settings_dict)
    with psycopg.connect(**info) as listener:
        listener.execute("LISTEN monoboard_test")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify('monoboard_test', 'hello')")
        received = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]

    assert received == ["hello"]
