"""Domain events: recorded in the writer's transaction, consumed after commit.

A service calls :func:`emit` as the **last write** of its transaction. The
event row commits or rolls back with the change it describes, so a crash at
any instant never leaves a change without its event, nor an event without
its change. Work that must follow a write is done by named consumers
(:func:`consumer`), each reading the log from its own saved position inside
one transaction per batch (see :mod:`monoboard.core.consumers`).

Emit last: on PostgreSQL the event's number is taken under a lock held until
commit (so ids follow commit order); a transaction that went on to lock rows
after emitting could wait on a writer that waits on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from monoboard.core.models import ConsumerPosition, Event
from monoboard.lib import cacheaside
from monoboard.lib.readcontext import note_write


@dataclass(frozen=True)
class DomainEvent:
    kind: str  # e.g. "post.created", "vote.toggled", "post.status_changed"
    post_id: int | None = None
    board_id: int | None = None
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


class EmitOutsideTransaction(RuntimeError):
    """emit() was called with no transaction open: the event could outlive a rollback."""


def log_alias(*, write: bool = True) -> str:
    """The database alias the event log lives on (a router may move it)."""
    route = router.db_for_write if write else router.db_for_read
    return route(Event) or "default"


#: The cache-aside scope (monoboard/lib/cacheaside.py) an event's kind makes stale.
CACHE_SCOPE_OF_KIND = {"site": "site", "status": "catalog", "tag": "catalog", "board": "boards"}

#: PostgreSQL channel that wakes the jobs worker's consumers and pg-notify streams.
EVENTS_CHANNEL = "monoboard_events"


def _wake_listeners(alias: str) -> None:
    """NOTIFY after the commit: a wake-up only; readers also poll, so a lost one delays."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [EVENTS_CHANNEL])


def emit(event: DomainEvent) -> Event:
    """Append ``event`` to the log inside the caller's open transaction."""
    alias = log_alias()
    connection = connections[alias]
    if not connection.in_atomic_block:
        raise EmitOutsideTransaction(f"{event.kind}: emit() needs the writer's transaction")
    if connection.vendor == "postgresql":
        transaction.on_commit(partial(_wake_listeners, alias), using=alias)
    # Read-your-writes: the request now keeps its client's commit position.
    transaction.on_commit(note_write, using=alias)
    # Cached shared reads of this kind are stale from now on (and after commit).
    scope = CACHE_SCOPE_OF_KIND.get(event.kind.split(".", 1)[0])
    if scope is not None:
        cacheaside.bump_in_transaction(scope, using=alias)
    return Event.objects.using(alias).create(
        kind=event.kind,
        board_id=event.board_id,
        post_id=event.post_id,
        actor_id=event.actor_id,
        data=event.data,
    )


def as_domain_event(row: Event) -> DomainEvent:
    return DomainEvent(
        kind=row.kind,
        post_id=row.post_id,
        board_id=row.board_id,
        actor_id=row.actor_id,
        data=dict(row.data),
    )


# --- Consumers ----------------------------------------------------------------

Handler = Callable[[DomainEvent], None]
BatchHandler = Callable[[list[DomainEvent]], None]


class HandlerFailed(Exception):
    """A handler failed on one event of a batch (``event_id``); raised from the cause."""

    def __init__(self, event_id: int) -> None:
        super().__init__(f"event {event_id}")
        self.event_id = event_id


@dataclass(frozen=True)
class Consumer:
    name: str
    kinds: frozenset[str]
    #: Gets the wanted events of one batch, oldest first (with their log ids).
    handle_batch: Callable[[list[tuple[int, DomainEvent]]], None]


_consumers: dict[str, Consumer] = {}


def consumer(name: str, kinds: frozenset[str] | set[str]) -> Callable[[Handler], Handler]:
    """Register ``handle`` as the consumer ``name`` of the events in ``kinds``.

    The handler runs inside the transaction that moves the consumer's
    position, after the event committed; it must be idempotent (a batch that
    fails is retried) and should only write rows: enqueue a job for anything
    slow or outside the database.
    """

    def register(handle: Handler) -> Handler:
        def each(events: list[tuple[int, DomainEvent]]) -> None:
            for event_id, event in events:
                try:
                    handle(event)
                except Exception as exc:
                    raise HandlerFailed(event_id) from exc

        _consumers[name] = Consumer(name=name, kinds=frozenset(kinds), handle_batch=each)
        return handle

    return register


def batch_consumer(
    name: str, kinds: frozenset[str] | set[str]
) -> Callable[[BatchHandler], BatchHandler]:
    """Like :func:`consumer`, for a handler that takes a batch's events at once
    (one index update for many posts, one query for many events)."""

    def register(handle: BatchHandler) -> BatchHandler:
        def whole(events: list[tuple[int, DomainEvent]]) -> None:
            try:
                handle([event for _, event in events])
            except Exception as exc:
                raise HandlerFailed(events[0][0]) from exc

        _consumers[name] = Consumer(name=name, kinds=frozenset(kinds), handle_batch=whole)
        return handle

    return register


def consumers() -> list[Consumer]:
    return [_consumers[name] for name in sorted(_consumers)]


def latest_event_id() -> int:
    row = Event.objects.using(log_alias(write=False)).order_by("-id").values_list("id").first()
    return int(row[0]) if row else 0


# --- Pruning -----------------------------------------------------------------


def event_prune(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete events past the retention window that every consumer has read."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.EVENTS_RETENTION_HOURS)
    alias = log_alias()
    positions = dict(ConsumerPosition.objects.using(alias).values_list("name", "position"))
    registered = [c.name for c in consumers()]
    if any(name not in positions for name in registered):
        return 0  # a consumer that never ran has read nothing yet
    # Only registered consumers count: a position left by a removed one holds nothing back.
    read_by_all = min((positions[name] for name in registered), default=latest_event_id())
    deleted = 0
    while True:
        ids = list(
            Event.objects.using(alias)
            .filter(created_at__lt=cutoff, id__lte=read_by_all)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Event.objects.using(alias).filter(id__in=ids).delete()[0]
