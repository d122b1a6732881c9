"""The event log: a short, append-only history of what changed on open pages.

Web processes append rows after their transaction commits; every events
process reads rows it has not seen yet (``id > last_seen``, the primary key)
and streams them. A reconnecting browser asks for rows after the last id it
saw (``(board_id, id)`` or ``(post_id, id)``). Board and post are plain
numbers, not foreign keys, so the log can move to its own database later and
deleting a post never has to touch it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    board_id = models.BigIntegerField(null=True)
    post_id = models.BigIntegerField(null=True)
    actor_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["board_id", "id"], name="rt_event_board"),
            models.Index(fields=["post_id", "id"], name="rt_event_post"),
            models.Index(fields=["created_at"], name="rt_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.kind}"
