"""Domain events, delivered only after the transaction that caused them commits.

Services call :func:`emit` inside their transaction; each subscriber (the
real-time event log, notifications, the search index, webhooks) is called once
the data is durable, so nobody is ever told about a write that rolled back.
Subscribers register in their app's ``ready()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    kind: str  # e.g. "post.created", "vote.toggled", "post.status_changed"
    post_id: int | None = None
    board_id: int | None = None
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[DomainEvent], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def _deliver(event: DomainEvent) -> None:
    for subscriber in list(_subscribers):
        try:
            subscriber(event)
        except Exception:  # one broken subscriber must not hide the event from others
            logger.exception("subscriber %r failed on %s", subscriber, event.kind)


def emit(event: DomainEvent) -> None:
    transaction.on_commit(lambda: _deliver(event), robust=False)
