"""PostgreSQL's own statement statistics (pg_stat_statements), when it is usable.

The app's slow-query log only sees the statements this app ran, and only the
slow ones. pg_stat_statements counts every statement of every client (the
worker, psql, other tools) exactly. It needs two steps by a database
superuser, so it is often missing; then ``server_statements`` says why and
how to enable it instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

Ordering = Literal["total", "max", "count"]

EXTENSION = "pg_stat_statements"
NEEDS_POSTGRES = "Server statistics need PostgreSQL."
ENABLE_LIBRARY = (
    "pg_stat_statements is not loaded: set shared_preload_libraries = 'pg_stat_statements'"
    " in postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements;"
    " in this database as a superuser."
)
ENABLE_EXTENSION = (
    "pg_stat_statements is loaded but not created in this database:"
    " run CREATE EXTENSION pg_stat_statements; in it as a superuser."
)

_ORDER_BY: dict[Ordering, str] = {
    "total": "total_ms",
    "max": "max_ms",
    "count": "calls",
}

# One row per statement shape: pg_stat_statements keeps a row per role and
# nesting level, summed here. ``{schema}`` is the extension's schema, quoted.
_TOP_SQL = """
SELECT min(s.query),
       sum(s.calls)::bigint AS calls,
       sum(s.total_exec_time) AS total_ms,
       max(s.max_exec_time) AS max_ms,
       sum(s.rows)::bigint,
       sum(s.shared_blks_hit)::bigint,
       sum(s.shared_blks_read)::bigint
FROM {schema}.pg_stat_statements AS s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
GROUP BY s.queryid
ORDER BY {order} DESC
LIMIT %s
"""


@dataclass(frozen=True)
class ServerStatement:
    """One statement shape as the server counted it, since the last reset."""

    query: str
    calls: int
    total_ms: float
    max_ms: float
    rows: int
    shared_blks_hit: int
    shared_blks_read: int

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    @property
    def hit_ratio(self) -> float | None:
        """Share of shared-buffer reads served from memory; None when it read none."""
        touched = self.shared_blks_hit + self.shared_blks_read
        return self.shared_blks_hit / touched if touched else None


@dataclass(frozen=True)
class ServerStats:
    """Either the top statements, or why there are none (``unavailable``)."""

    unavailable: str = ""
    statements: list[ServerStatement] = field(default_factory=list)
    since: datetime | None = None


def _quote(name: str, using: str) -> str:
    return str(connections[using].ops.quote_name(name))


def extension_schema(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The schema pg_stat_statements was created in, or None (and on SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension AS e"
            " JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = %s",
            [EXTENSION],
        )
        row = cursor.fetchone()
    return str(row[0]) if row else None


def _library_loaded(using: str) -> bool:
    """Whether the server preloaded the library.

    ``shared_preload_libraries`` is readable only by superusers, but the
    library defines its settings only when preloaded, and anyone can read those.
    """
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_setting('pg_stat_statements.max', true)")
        row = cursor.fetchone()
    return bool(row and row[0])


def server_statements(
    *, by: Ordering = "total", limit: int = 10, using: str = DEFAULT_DB_ALIAS
) -> ServerStats:
    """The current database's worst statements by ``by``, or why they are unavailable."""
    if connections[using].vendor != "postgresql":
        return ServerStats(unavailable=NEEDS_POSTGRES)
    schema = extension_schema(using)
    if schema is None:
        return ServerStats(
            unavailable=ENABLE_EXTENSION if _library_loaded(using) else ENABLE_LIBRARY
        )
    sql = _TOP_SQL.format(schema=_quote(schema, using), order=_ORDER_BY[by])
    try:
        # A savepoint: the view raises when the library is not preloaded, and
        # that error must not spoil a transaction the caller is in.
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(sql, [limit])
            rows = cursor.fetchall()
    except DatabaseError as exc:
        if not _library_loaded(using):
            return ServerStats(unavailable=ENABLE_LIBRARY)
        return ServerStats(unavailable=f"pg_stat_statements could not be read: {exc}".strip())
    return ServerStats(statements=[_statement(row) for row in rows], since=_since(schema, using))


def _statement(row: tuple[Any, ...]) -> ServerStatement:
    query, calls, total_ms, max_ms, rows, hit, read = row
    return ServerStatement(
        query=str(query),
        calls=int(calls),
        total_ms=float(total_ms),
        max_ms=float(max_ms),
        rows=int(rows),
        shared_blks_hit=int(hit),
        shared_blks_read=int(read),
    )


def _since(schema: str, using: str) -> datetime | None:
    """When the statistics were last reset (pg_stat_statements 1.9+, PostgreSQL 14+)."""
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            info = f"{_quote(schema, using)}.pg_stat_statements_info"
            cursor.execute(f"SELECT stats_reset FROM {info}")  # noqa: S608  (quoted schema)
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return row[0] if row and isinstance(row[0], datetime) else None


def reset(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Forget the current database's statistics (others' are kept).

    Needs a superuser, or ``GRANT EXECUTE ON FUNCTION pg_stat_statements_reset``;
    raises ``DatabaseError`` otherwise and ``RuntimeError`` when unavailable.
    """
    stats_schema = extension_schema(using)
    if stats_schema is None:
        raise RuntimeError(server_statements(using=using, limit=1).unavailable)
    function = f"{_quote(stats_schema, using)}.pg_stat_statements_reset"
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # userid 0 and queryid 0 mean "all"; only this database's dbid.
        cursor.execute(
            f"SELECT {function}(0, (SELECT oid FROM pg_database"  # noqa: S608  (quoted schema)
            " WHERE datname = current_database()), 0)"
        )
