"""System checks for the real-time settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.db import connection


@register()
def pg_notify_needs_postgres(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.REALTIME_BACKEND == "pg-notify" and connection.vendor != "postgresql":
        return [
            Warning(
                "REALTIME_BACKEND=pg-notify needs PostgreSQL; polling the event log instead.",
                hint="Unset REALTIME_BACKEND, or set DATABASE_URL to a PostgreSQL database.",
                id="realtime.W001",
            )
        ]
    return []
