"""Post vectors for semantic duplicate detection, and the pairs people dismissed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from monoboard.boards.models import Post


class PostVector(models.Model):
    """One post's title embedding: float16 bytes, unit length, of ``model``."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, primary_key=True, related_name="+")
    model = models.CharField(max_length=64)
    vector = models.BinaryField()
    #: The vector clock's value when this row was written: readers load what changed since.
    seq = models.BigIntegerField(db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"vector of post {self.post_id} ({self.model})"


class VectorClock(models.Model):
    """One row, bumped (and row-locked until commit) by every vector write.

    Writers are serialised on this row, so a committed value means every row
    with a lower ``seq`` is committed too; each process's in-memory matrix
    loads only the rows after the value it holds. ``epoch`` is random per
    created clock: a different one (a restored or emptied table) means a full
    reload.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"vector clock {self.value} ({self.epoch})"


class DismissedPair(models.Model):
    """Two posts a moderator said are not duplicates: the triage list skips them."""

    low_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    high_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["low_post", "high_post"], name="similar_pair_once"),
            models.CheckConstraint(
                condition=models.Q(low_post__lt=models.F("high_post")), name="similar_pair_order"
            ),
        ]

    def __str__(self) -> str:
        return f"posts {self.low_post_id} and {self.high_post_id} are not duplicates"
