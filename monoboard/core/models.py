"""The durable event log and each consumer's place in it.

A service writes its change and an :class:`Event` row in one transaction
(:func:`monoboard.core.events.emit`), so the record of what must follow a
write exists exactly when the write does. Consumers (search index,
notifications, webhooks) read the log after commit from their own
:class:`ConsumerPosition`; the real-time stream and the anonymous page cache
read it directly.

Ids are handed out in commit order: SQLite serialises writers, and on
PostgreSQL a trigger (migration 0002) takes a transaction-scoped advisory
lock before it numbers the row. So a reader that has seen id N has seen
every event up to N that will ever commit, and tailing ``id > last_seen``
never skips one. Board and post are plain numbers, not foreign keys, so the
log can move to its own database and deleting a post never touches it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=40)
    board_id = models.BigIntegerField(null=True)
    post_id = models.BigIntegerField(null=True)
    actor_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["board_id", "id"], name="core_event_board"),
            models.Index(fields=["post_id", "id"], name="core_event_post"),
            models.Index(fields=["created_at"], name="core_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.kind}"


class ConsumerPosition(models.Model):
    """How far one named consumer has read the log, and its last failure."""

    name = models.CharField(max_length=60, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveIntegerField(default=0)  # in a row, on failed_event_id
    failed_event_id = models.BigIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    skipped = models.PositiveIntegerField(default=0)  # events given up on, ever

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"
