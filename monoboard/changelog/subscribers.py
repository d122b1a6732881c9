"""The event-log consumer that queues an entry's announcement when it is published."""

from __future__ import annotations

from monoboard.core.events import DomainEvent, batch_consumer
from monoboard.jobs import enqueue_many_on_commit


@batch_consumer("changelog.announce", frozenset({"changelog.published"}))
def on_published(events: list[DomainEvent]) -> None:
    """Only enqueue, in the consumer's transaction: each publication queues its
    announcement exactly once, even if the worker dies."""
    from monoboard.changelog.tasks import announce_entry

    enqueue_many_on_commit(
        announce_entry,
        [(int(event.data["entry_id"]), event.actor_id) for event in events],
    )
