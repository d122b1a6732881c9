"""Background work for the event log, run by the jobs worker."""

from __future__ import annotations

from django.tasks import task

from monoboard.core.events import event_prune


@task
def prune_events() -> int:
    """Recurring: delete events past EVENTS_RETENTION_HOURS that every consumer read."""
    return event_prune()
