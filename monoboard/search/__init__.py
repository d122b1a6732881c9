"""Full-text search and similar-post suggestions.

``backend()`` returns the configured :class:`~monoboard.search.backends.base.SearchBackend`:
SQLite FTS5 at stage 1, PostgreSQL full-text search and pg_trgm from stage 2.
``SEARCH_BACKEND=auto`` (the default) picks by the database in use.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monoboard.search.backends.base import SearchBackend

BACKENDS = ("auto", "sqlite_fts5", "postgres")


def backend_name() -> str:
    from django.conf import settings
    from django.db import connection

    name: str = getattr(settings, "SEARCH_BACKEND", "auto")
    if name == "auto":
        return "postgres" if connection.vendor == "postgresql" else "sqlite_fts5"
    return name


def backend() -> SearchBackend:
    return _backend(backend_name())


@cache
def _backend(name: str) -> SearchBackend:
    if name == "postgres":
        from monoboard.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from monoboard.search.backends.sqlite_fts5 import SqliteFts5Backend

    return SqliteFts5Backend()
