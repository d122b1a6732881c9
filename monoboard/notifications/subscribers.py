"""The event-log consumer and recurring jobs, wired up in NotificationsConfig.ready()."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from monoboard.core.events import DomainEvent, batch_consumer
from monoboard.jobs import enqueue_many_on_commit, recurring
from monoboard.notifications.delivery import EVENT_KINDS


@batch_consumer("notifications.fan_out", frozenset(EVENT_KINDS))
def on_domain_events(events: list[DomainEvent]) -> None:
    """Only enqueue: the fan-out to subscribers happens in jobs, one per event.

    The job rows are written in the consumer's transaction (one INSERT), so
    each event queues its fan-out exactly once, even if the worker dies.
    """
    from monoboard.notifications.tasks import fan_out_event

    enqueue_many_on_commit(
        fan_out_event,
        [
            (event.kind, event.post_id, event.actor_id, dict(event.data))
            for event in events
            if event.post_id is not None
        ],
    )


def register_recurring_jobs() -> None:
    from monoboard.notifications.tasks import send_daily_digests

    recurring.register(
        "notifications.send_daily_digests",
        send_daily_digests,
        every=timedelta(hours=settings.NOTIFICATIONS_DIGEST_EVERY_HOURS),
    )
