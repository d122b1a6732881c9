"""The delivery job; retried with backoff by the jobs worker until it succeeds."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from monoboard.jobs import retry_policy
from monoboard.webhooks import delivery, services


@retry_policy(
    max_attempts=settings.WEBHOOKS_MAX_ATTEMPTS,
    base_delay_s=settings.WEBHOOKS_RETRY_BASE_DELAY_S,
)
@task()
def deliver_webhook(delivery_id: int) -> int | None:
    """POST one delivery; raises (and so is retried) when the receiver fails."""
    log = delivery.attempt(delivery_id)
    return log.status_code if log else None


@task()
def prune_deliveries() -> int:
    """Delete deliveries older than WEBHOOKS_KEEP_DAYS, in small batches (idempotent)."""
    return services.deliveries_prune()
