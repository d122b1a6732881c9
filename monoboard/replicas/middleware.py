"""Read-your-writes for every kind of client, and a second try when a replica fails.

After a request that wrote, the primary's WAL position is read
(``pg_current_wal_lsn()``, after the commit, so it is at or past the commit
record) and kept where every instance finds it again: in the session for a
browser, and in the shared ``throttle`` cache under the API key and the
user (so a person's API writes show in their browser and the other way round).
Where that cache is failing, a signed-in client reads from the primary.
On that client's later requests the router sends a read to a replica only
once the replica has replayed that far.

Requests with an unsafe method read from the primary throughout: whatever
they render after their write must show it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from functools import partial

from django.core.cache import caches
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from monoboard.lib.readcontext import ReadContext, current, reading
from monoboard.lib.unavailable import database_unavailable
from monoboard.replicas import health
from monoboard.replicas.lsn import parse_lsn

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "_commit_lsn"
CACHE_ALIAS = "throttle"
#: A kept position only matters until every replica has replayed it.
POSITION_TTL_S = 3600
#: Where a position cannot be known (the cache fails): nothing is caught up.
UNKNOWN = 1 << 64


def _cache_keys(request: HttpRequest, ctx: ReadContext) -> list[str]:
    """The API credential, and the person: one person's writes through the API
    are theirs in the browser too, and the other way round."""
    keys = [ctx.client_key] if ctx.client_key else []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"user:{user.pk}")
    return [f"commit-lsn:{key}" for key in keys]


def load_position(request: HttpRequest, ctx: ReadContext) -> int | None:
    """The newest commit position kept for this client, or None."""
    found: list[object] = []
    session = getattr(request, "session", None)
    if session is not None:
        found.append(session.get(SESSION_KEY))
    keys = _cache_keys(request, ctx)
    if keys:
        store = caches[CACHE_ALIAS]
        values = store.get_many(keys)
        if not values and getattr(store, "failing", lambda: False)():
            return UNKNOWN
        found += values.values()
    positions = [parse_lsn(value) for value in found if isinstance(value, str)]
    return max(positions) if positions else None


def record_position(request: HttpRequest, ctx: ReadContext) -> None:
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql" or primary.in_atomic_block:
        return
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        row = cursor.fetchone()
    if not row:
        return
    keys = _cache_keys(request, ctx)
    if keys:
        caches[CACHE_ALIAS].set_many(dict.fromkeys(keys, row[0]), POSITION_TTL_S)
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    # A bearer caller has no session; an anonymous visitor's is not created for this.
    if (
        ctx.client_key is None
        and session is not None
        and (session.session_key or (user and user.is_authenticated))
    ):
        session[SESSION_KEY] = row[0]


class ReadYourWritesMiddleware:
    """Opens the read context; after a write, keeps the client's commit position."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not health.replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = ReadContext(use_replicas=request.method in SAFE_METHODS)
        ctx.load_position = partial(load_position, request, ctx)
        with reading(ctx):
            response = self.get_response(request)
            if ctx.wrote or request.method not in SAFE_METHODS:
                try:
                    record_position(request, ctx)
                except (OperationalError, InterfaceError):
                    log.warning("could not read the commit position", exc_info=True)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A replica failed under a read: mark it down and answer again from the primary."""
        ctx = current()
        alias = ctx.replica_used if ctx is not None else None
        if (
            ctx is None
            or alias is None
            or request.method not in SAFE_METHODS
            or not database_unavailable(exception)
        ):
            return None
        log.warning("replica %s failed, answering from the primary: %s", alias, exception)
        health.mark_down(alias, str(exception))
        with contextlib.suppress(Exception):
            connections[alias].close()
        ctx.use_replicas = False
        ctx.replica_used = None
        return self.get_response(request)
