"""A search backend that cannot work with the database in use is a start-up error."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import connection

_NEEDS = {"sqlite_fts5": "sqlite", "postgres": "postgresql"}


@register()
def backend_matches_database(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    name = settings.SEARCH_BACKEND
    needed = _NEEDS.get(name)
    if needed is None or needed == connection.vendor:
        return []
    return [
        Error(
            f"SEARCH_BACKEND={name} needs a {needed} database; this site uses {connection.vendor}.",
            hint="Use SEARCH_BACKEND=auto to pick the backend by the database (docs/search.md).",
            id="search.E001",
        )
    ]
