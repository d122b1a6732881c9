"""Idempotency records: the first answer to a creating request, kept for a day."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    #: Who asked ("user:<id>"), so two callers never share a key.
    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    #: Method and path, so one key cannot be replayed against another endpoint.
    route = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response: models.JSONField[Any] = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_once_per_caller"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
