"""The stream's bus backend falls back to polling where LISTEN/NOTIFY is missing."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_pg_notify_on_sqlite_falls_back_with_a_warning(settings: Any) -> None:
    from django.db import connection

    from monoboard.realtime.bus import effective_backend_name
    from monoboard.realtime.checks import pg_notify_needs_postgres

    settings.REALTIME_BACKEND = "pg-notify"
    if connection.vendor == "postgresql":
        assert effective_backend_name() == "pg-notify"
        assert pg_notify_needs_postgres() == []
    else:
        assert effective_backend_name() == "db-poll"
        assert [m.id for m in pg_notify_needs_postgres()] == ["realtime.W001"]
