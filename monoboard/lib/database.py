"""Build Django's DATABASES entry from ``DATABASE_URL`` and pool settings.

Stage 1 (no URL) is a SQLite file in WAL mode. Stage 2 is PostgreSQL, either
with psycopg's in-process pool (``DB_POOL=psycopg``) or behind PgBouncer in
transaction mode (``DB_POOL=pgbouncer``), which rules out server-side cursors,
prepared statements and session state. ``LISTEN`` and anything else that
needs a session of its own goes on a direct connection
(``DATABASE_DIRECT_URL``, see :func:`direct_conninfo`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from monoboard.lib.env import env_choice, env_float, env_int, problems

DEFAULT_DB_ALIAS = "default"

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-20000;"
    "PRAGMA mmap_size=134217728;"
)


def sqlite_database(path: Path, *, busy_timeout_s: int) -> dict[str, Any]:
    # SQLite creates the file but not its folder; a fresh data dir has neither.
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # Writers take the lock when the transaction begins, so two
            # writers queue on busy_timeout instead of failing mid-way with
            # "database is locked" when one tries to upgrade its read lock.
            "transaction_mode": "IMMEDIATE",
            "timeout": busy_timeout_s,
            "init_command": SQLITE_PRAGMAS,
        },
        # Kept between requests: a new connection re-reads the schema, runs
        # the pragmas and starts with SQLite's page cache empty.
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        # A file, not :memory:, so tests can use several threads and
        # processes; named per process so parallel test runs never meet.
        "TEST": {"NAME": str(path.with_name(f"test_{os.getpid()}_{path.name}"))},
    }


def postgres_database(url: str, *, pool_mode: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    options: dict[str, Any] = config.setdefault("OPTIONS", {})
    if pool_mode == "psycopg":
        options["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
        }
    elif pool_mode == "pgbouncer":
        # Transaction pooling hands each transaction to any server
        # connection: nothing may outlive a transaction on the server.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        # No prepared statements (Django's default too; pinned here because
        # another server connection would not have them).
        options["prepare_threshold"] = None
        config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
        config["CONN_HEALTH_CHECKS"] = True
    else:  # "none": one connection per request, or persistent if asked
        config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
        config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("TEST", {})
    return config


def database_from_env(url: str, data_dir: Path) -> dict[str, Any]:
    busy_timeout_s = env_int("SQLITE_BUSY_TIMEOUT", 5, minimum=0)
    if not url:
        return sqlite_database(data_dir / "monoboard.sqlite3", busy_timeout_s=busy_timeout_s)
    scheme = urlsplit(url).scheme
    if scheme in {"sqlite", "sqlite3"}:
        parsed = dj_database_url.parse(url)
        return sqlite_database(Path(parsed["NAME"]), busy_timeout_s=busy_timeout_s)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        pool_mode = env_choice("DB_POOL", "psycopg", ("psycopg", "pgbouncer", "none"))
        return postgres_database(url, pool_mode=pool_mode)
    problems.append(
        ("DATABASE_URL", f"scheme {scheme!r} is not supported; use sqlite:/// or postgres://")
    )
    return sqlite_database(data_dir / "monoboard.sqlite3", busy_timeout_s=busy_timeout_s)


def replica_databases(urls: list[str], *, primary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``DATABASES`` entries ``replica1``, ``replica2``... for ``DATABASE_REPLICA_URLS``.

    Each is pooled like the primary (``DB_POOL``) and is a test mirror of it:
    under tests it reads the test database, which streaming replication
    copies. A replica that does not answer is given up on after
    ``REPLICA_CONNECT_TIMEOUT_S`` rather than the primary's pool timeout.
    """
    if not urls:
        return {}
    if primary["ENGINE"] != "django.db.backends.postgresql":
        problems.append(("DATABASE_REPLICA_URLS", "read replicas need DATABASE_URL on PostgreSQL"))
        return {}
    timeout = max(1, round(env_float("REPLICA_CONNECT_TIMEOUT_S", 1.0, minimum=0.1)))
    replicas: dict[str, dict[str, Any]] = {}
    for number, url in enumerate(urls, start=1):
        if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
            problems.append(("DATABASE_REPLICA_URLS", f"replica {number} is not a postgres:// URL"))
            continue
        config = postgres_database(url, pool_mode=pool_mode(primary))
        options = config["OPTIONS"]
        options["connect_timeout"] = timeout
        if "pool" in options:
            options["pool"] = {**options["pool"], "timeout": timeout}
        config["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
        replicas[f"replica{number}"] = config
    return replicas


def pool_mode(database: dict[str, Any]) -> str:
    """How connections to ``database`` are pooled: sqlite, psycopg, pgbouncer or none."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return "sqlite"
    if database.get("OPTIONS", {}).get("pool"):
        return "psycopg"
    if database.get("DISABLE_SERVER_SIDE_CURSORS"):
        return "pgbouncer"
    return "none"


def direct_conninfo(direct_url: str, *, database: dict[str, Any]) -> dict[str, Any]:
    """psycopg ``connect()`` arguments for a direct (unpooled) session.

    For ``LISTEN`` and other session state, which PgBouncer in transaction
    mode cannot carry. Host, port and credentials come from
    ``DATABASE_DIRECT_URL``; the database name comes from the live Django
    settings (``database``), so under tests it is the test database.
    """
    parsed = dj_database_url.parse(direct_url)
    return {
        "host": parsed.get("HOST") or database.get("HOST") or None,
        "port": parsed.get("PORT") or database.get("PORT") or None,
        "user": parsed.get("USER") or database.get("USER") or None,
        "password": parsed.get("PASSWORD") or database.get("PASSWORD") or None,
        "dbname": database["NAME"],
        "autocommit": True,
    }


def listen_params(alias: str = "default") -> dict[str, Any]:
    """psycopg ``connect()`` arguments for a LISTEN connection to ``alias``.

    ``DATABASE_DIRECT_URL`` (stage 2 behind PgBouncer) names the server to
    reach directly; otherwise the database's own parameters are used.
    """
    from django.conf import settings
    from django.db import connections

    connection = connections[alias]
    direct_url = str(getattr(settings, "DATABASE_DIRECT_URL", "") or "")
    if direct_url:
        params = direct_conninfo(direct_url, database=connection.settings_dict)
    else:
        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if key in {"host", "port", "user", "password", "dbname", "sslmode"}
        }
    params["autocommit"] = True
    return params
