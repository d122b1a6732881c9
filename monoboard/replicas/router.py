"""The database router: reads to a replica when that cannot show a client stale data.

Writes, migrations and anything inside a transaction on the primary go to
the primary. A read goes to a replica only when all of these hold:

- it happens in a request (the middleware opened a read context; commands,
  the jobs worker and migrations have none),
- no transaction is open on the primary in this thread (a service reading
  before or after its write, ``select_for_update``),
- the model is board content (``REPLICA_APPS``); sessions, users, API
  credentials, jobs and metrics stay on the primary so a sign-in, a revoked
  key or a claimed job takes effect at once,
- a replica is up, lags at most ``REPLICA_MAX_LAG_MS`` and has replayed the
  client's last commit (read-your-writes, see middleware.py).

One replica serves a whole request, so its pages never mix two replicas' views.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from monoboard.lib.readcontext import current
from monoboard.replicas import health

#: Apps whose reads may go to a replica: board content and the event log.
REPLICA_APPS = frozenset({"boards", "core"})


def read_alias(app_label: str) -> str:
    ctx = current()
    if ctx is None or not ctx.use_replicas or app_label not in REPLICA_APPS:
        return DEFAULT_DB_ALIAS
    if not settings.REPLICA_READS:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if ctx.replica_used is not None:
        return ctx.replica_used
    alias = health.pick(ctx.position())
    if alias is None:
        return DEFAULT_DB_ALIAS
    ctx.replica_used = alias
    return alias


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry, set by settings when replicas are configured."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias(model._meta.app_label)

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Replicas hold the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica is read-only: it gets its schema from the primary's WAL.
        return False if db.startswith("replica") else None
