"""Background work for the event log, run by the jobs worker."""

from __future__ import annotations

from django.tasks import task

from monoboard.realtime.services import event_prune


@task
def prune_events() -> int:
    """Recurring: delete rows older than REALTIME_RETENTION_HOURS. Idempotent."""
    return event_prune()
