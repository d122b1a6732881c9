"""Jobs (django.tasks). Their bodies live in delivery.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from monoboard.jobs import retry_policy
from monoboard.jobs.policy import backoff_delay, policy_for
from monoboard.notifications import delivery


@task()
def fan_out_event(event_kind: str, post_id: int, actor_id: int | None, data: dict[str, Any]) -> int:
    """Create notifications and queue emails for one domain event."""
    return delivery.fan_out(event_kind, post_id, actor_id, data)


@retry_policy(
    max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
    base_delay_s=float(settings.NOTIFICATIONS_RETRY_BASE_SECONDS),
)
@task()
def send_email(email_id: int) -> str:
    """Send one outbox email; raises (and so is retried with backoff) when the server fails."""
    return delivery.send_one(email_id)


@retry_policy(
    max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
    base_delay_s=float(settings.NOTIFICATIONS_RETRY_BASE_SECONDS),
)
@task()
def send_emails(email_ids: list[int]) -> dict[str, int]:
    """Send a batch of outbox emails over one connection.

    An email the server refuses is handed to its own ``send_email`` job,
    due after the retry policy's backoff, so one bad address never holds
    the others back.
    """
    return delivery.send_batch(email_ids, retry_later=_retry_later)


def _retry_later(email_id: int, attempts: int) -> None:
    delay = backoff_delay(attempts, policy_for(send_email.module_path))
    run_after = timezone.now() + timedelta(seconds=delay)
    send_email.using(run_after=run_after).enqueue(email_id)


@task()
def send_daily_digests() -> int:
    """Group each user's pending digest items into one email."""
    return delivery.send_digests()
