"""Pick the bus backend named by ``REALTIME_BACKEND``.

``pg-notify`` needs PostgreSQL; on any other database the product falls back
to ``db-poll`` (and ``manage.py check`` says so), so a stage-2 setting never
breaks a stage-1 box.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db import connection

from monoboard.realtime.bus.base import Backend


def effective_backend_name() -> str:
    wanted = str(settings.REALTIME_BACKEND)
    if wanted == "pg-notify" and connection.vendor != "postgresql":
        return "db-poll"
    return wanted


@cache
def get_backend() -> Backend:
    if effective_backend_name() == "pg-notify":
        from monoboard.realtime.bus.pgnotify import PgNotifyBackend

        return PgNotifyBackend()
    from monoboard.realtime.bus.dbpoll import DbPollBackend

    return DbPollBackend()
