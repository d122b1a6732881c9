"""The event-log consumer and recurring jobs, wired up in NotificationsConfig.ready()."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from monoboard.core.events import DomainEvent, consumer
from monoboard.jobs import enqueue_on_commit, recurring
from monoboard.notifications.delivery import EVENT_KINDS


@consumer("notifications.fan_out", frozenset(EVENT_KINDS))
def on_domain_event(event: DomainEvent) -> None:
    """Only enqueue: the fan-out to subscribers happens in a job.

    The job row is written in the consumer's transaction, so each event
    queues its fan-out exactly once, even if the worker dies mid-batch.
    """
    if event.post_id is None:
        return
    from monoboard.notifications.tasks import fan_out_event

    enqueue_on_commit(fan_out_event, event.kind, event.post_id, event.actor_id, dict(event.data))


def register_recurring_jobs() -> None:
    from monoboard.notifications.tasks import send_daily_digests

    recurring.register(
        "notifications.send_daily_digests",
        send_daily_digests,
        every=timedelta(hours=settings.NOTIFICATIONS_DIGEST_EVERY_HOURS),
    )
