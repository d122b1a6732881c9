"""Jobs (django.tasks). Their bodies live in delivery.py."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from monoboard.notifications import delivery


@task()
def fan_out_event(event_kind: str, post_id: int, actor_id: int | None, data: dict[str, Any]) -> int:
    """Create notifications and queue emails for one domain event."""
    return delivery.fan_out(event_kind, post_id, actor_id, data)


@task()
def drain_outbox() -> dict[str, int]:
    """Send due emails from the outbox; retries follow the backoff schedule."""
    result = delivery.drain_outbox()
    return {
        "sent": result.sent,
        "retrying": result.retrying,
        "failed": result.failed,
        "withheld": result.withheld,
    }


@task()
def send_daily_digests() -> int:
    """Group each user's pending digest items into one email."""
    return delivery.send_digests()
