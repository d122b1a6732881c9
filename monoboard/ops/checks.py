"""System checks that turn configuration mistakes into clear messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections

from monoboard.lib import env
from monoboard.lib.database import pool_mode


@register()
def environment_values(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(f"{name} {message}.", hint="See docs/configuration.md.", id="monoboard.E001")
        for name, message in env.problems
    ]


@register(deploy=True)
def secure_deployment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.HTTPS:
        messages.append(
            Warning(
                "HTTPS is off, so session cookies are sent without the Secure flag.",
                hint="Set HTTPS=1 once the site is served over TLS.",
                id="monoboard.W001",
            )
        )
    if settings.EMAIL_MODE != "smtp":
        messages.append(
            Warning(
                f"EMAIL_MODE is {settings.EMAIL_MODE!r}: password resets and notifications are "
                "written locally, not sent.",
                hint="Set EMAIL_MODE=smtp and EMAIL_HOST (docs/configuration.md).",
                id="monoboard.W002",
            )
        )
    return messages


# --- Stage 2: database connection budget (docs/scaling.md) --------------------


@dataclass(frozen=True)
class ConnectionBudget:
    """How many server connections this configuration can open at once."""

    pool_mode: str
    web: int
    listeners: int
    workers: int

    @property
    def total(self) -> int:
        return self.web + self.listeners + self.workers

    def explain(self) -> str:
        return (
            f"{self.web} web (DB_POOL={self.pool_mode}) + {self.listeners} listeners "
            f"+ {self.workers} workers = {self.total}"
        )


def connection_budget(
    database: dict[str, Any], *, web_workers: int, web_threads: int, listeners: int, workers: int
) -> ConnectionBudget:
    """processes x connections per process + listeners + workers.

    psycopg pool: each web process holds up to its pool's max_size. No pool:
    each thread may hold one. PgBouncer: web connections end at PgBouncer,
    whose own pool size bounds what reaches the server, so they count 0 here.
    """
    mode = pool_mode(database)
    if mode == "psycopg":
        web = web_workers * int(database["OPTIONS"]["pool"]["max_size"])
    elif mode == "none":
        web = web_workers * web_threads
    else:
        web = 0
    return ConnectionBudget(mode, web, listeners, workers)


@register(Tags.database)
def connection_limit(
    app_configs: Any, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when the configuration could open more connections than the server allows.

    Runs only with databases (``manage.py check --database default``), since
    it asks the server for ``max_connections``.
    """
    if not databases or "default" not in databases:
        return []
    database = settings.DATABASES["default"]
    if pool_mode(database) == "sqlite":
        return []
    budget = connection_budget(
        database,
        # Every instance opens its own (INSTANCES at stage 3).
        web_workers=settings.SERVE_WORKERS * settings.INSTANCES,
        web_threads=settings.SERVE_THREADS,
        listeners=settings.DB_LISTENER_CONNECTIONS,
        workers=settings.DB_WORKER_CONNECTIONS,
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_connections = int(cursor.fetchone()[0])
        cursor.execute("SHOW superuser_reserved_connections")
        reserved = int(cursor.fetchone()[0])
    available = max_connections - reserved
    if budget.total <= available:
        return []
    return [
        Warning(
            f"This configuration can open {budget.total} database connections "
            f"({budget.explain()}), but the server allows {available} "
            f"(max_connections {max_connections} - {reserved} reserved).",
            hint="Lower WEB_WORKERS or DB_POOL_MAX_SIZE, raise max_connections, or put "
            "PgBouncer in front (DB_POOL=pgbouncer); see docs/scaling.md.",
            id="monoboard.W020",
        )
    ]


@register()
def listen_connection(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """LISTEN cannot work through PgBouncer in transaction mode."""
    database = settings.DATABASES["default"]
    if pool_mode(database) != "pgbouncer" or settings.DATABASE_DIRECT_URL != settings.DATABASE_URL:
        return []
    return [
        Warning(
            "DB_POOL=pgbouncer but DATABASE_DIRECT_URL is not set: LISTEN/NOTIFY and other "
            "session state would go through PgBouncer, where they do not work.",
            hint="Set DATABASE_DIRECT_URL to the PostgreSQL server itself (docs/scaling.md).",
            id="monoboard.W021",
        )
    ]


# --- Stage 3: nothing stateful per instance (docs/scaling.md) -----------------

#: Cache backends whose entries live in one process or on one machine's disk.
INSTANCE_LOCAL_CACHES = ("LocMemCache", "FileBasedCache")
#: Storages that keep files on the machine that received them.
INSTANCE_LOCAL_STORAGES = ("FileSystemStorage",)


def several_instances() -> bool:
    """Whether this configuration says it runs as one of several instances."""
    return bool(settings.BEHIND_PROXY) or int(settings.INSTANCES) > 1


@register()
def stateless_instances(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warn about state one instance keeps that the others cannot see."""
    if not several_instances():
        return []
    why = "BEHIND_PROXY=1" if settings.BEHIND_PROXY else f"INSTANCES={settings.INSTANCES}"
    messages: list[CheckMessage] = []
    for alias, config in settings.CACHES.items():
        backend = str(config.get("BACKEND", ""))
        if backend.rsplit(".", 1)[-1] in INSTANCE_LOCAL_CACHES:
            messages.append(
                Warning(
                    f"CACHES[{alias!r}] uses {backend.rsplit('.', 1)[-1]}, which each instance "
                    f"keeps for itself, and this site runs several instances ({why}).",
                    hint="Set REDIS_URL so that every instance shares one cache; see "
                    "docs/scaling.md (stage 3: what is shared where).",
                    id="monoboard.W030",
                )
            )
    default_storage = str(settings.STORAGES.get("default", {}).get("BACKEND", ""))
    if default_storage.rsplit(".", 1)[-1] in INSTANCE_LOCAL_STORAGES:
        messages.append(
            Warning(
                f"The default file storage is {default_storage.rsplit('.', 1)[-1]}: a file "
                f"uploaded to one instance is missing on the others ({why}).",
                hint="Use S3-compatible object storage (the STORAGE_S3_* settings, "
                "docs/attachments.md), or a folder every instance mounts at MEDIA_ROOT.",
                id="monoboard.W031",
            )
        )
    if not settings.SECRET_KEY_FROM_ENV:
        messages.append(
            Warning(
                "SECRET_KEY was generated into this machine's data folder, so another "
                f"instance will sign sessions and CSRF tokens with a different key ({why}).",
                hint="Set the same SECRET_KEY in every instance's environment.",
                id="monoboard.W032",
            )
        )
    return messages
