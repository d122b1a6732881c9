"""Writes to the event log.

:func:`record_domain_event` is subscribed to ``monoboard.boards.effects``, so
it runs only after the transaction that caused the event committed: a write
that rolls back is never streamed. It keeps only the fields pages need, and
never who did it (the actor id stays in its own column, used only to tell a
viewer that the event was theirs).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monoboard.boards.effects import DomainEvent
from monoboard.boards.models import Status
from monoboard.realtime.bus import get_backend
from monoboard.realtime.models import Event

#: The domain events pages show live, and the payload keys each may carry.
STREAMED: dict[str, tuple[str, ...]] = {
    "vote.toggled": ("voted", "vote_count"),
    "comment.created": ("comment_id", "official"),
    "post.status_changed": ("status", "status_id", "note"),
}


def on_domain_event(event: DomainEvent) -> None:
    """The effects subscriber (registered in RealtimeConfig.ready())."""
    record_domain_event(event)


def record_domain_event(event: DomainEvent) -> Event | None:
    """Append a streamed domain event to the log and wake the events processes."""
    keys = STREAMED.get(event.kind)
    if keys is None or event.board_id is None:
        return None
    payload = {key: event.data[key] for key in keys if key in event.data}
    if event.kind == "post.status_changed":
        status_id = int(event.data.get("status_id") or 0)
        color = Status.objects.filter(pk=status_id).values_list("color", flat=True).first()
        payload["color"] = color or ""
    return event_publish(
        kind=event.kind,
        board_id=event.board_id,
        post_id=event.post_id,
        actor_id=event.actor_id,
        payload=payload,
    )


def event_publish(
    *,
    kind: str,
    board_id: int,
    post_id: int | None,
    payload: dict[str, Any],
    actor_id: int | None = None,
) -> Event:
    """Append one row and tell the bus; call only after the cause committed."""
    with transaction.atomic():
        row = Event.objects.create(
            kind=kind, board_id=board_id, post_id=post_id, actor_id=actor_id, payload=payload
        )
    get_backend().notify(row.id)
    return row


def event_prune(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete log rows older than the retention window, in batches. Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.REALTIME_RETENTION_HOURS)
    deleted = 0
    while True:
        ids = list(
            Event.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Event.objects.filter(id__in=ids).delete()[0]


def register_pruning() -> None:
    """Prune hourly through the jobs worker's recurring schedules."""
    from monoboard.jobs.recurring import register
    from monoboard.realtime.tasks import prune_events

    register("realtime.prune_events", prune_events, timedelta(hours=1))
