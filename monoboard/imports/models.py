"""Imports from other feedback tools: one run per source, and what each source row became.

A run is keyed on the source (a CSV file's checksum, or a database and its
tenant), so running the same import again finds its run and carries on where
it stopped. Every batch writes its rows, their ``ImportedObject`` entries and
the run's progress in one transaction: a process killed at any instant leaves
either the whole batch or none of it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    FIDER_DB = "fider-db", "Fider database"
    FIDER_CSV = "fider-csv", "Fider CSV export"
    CANNY_CSV = "canny-csv", "Canny CSV export"
    CSV = "csv", "Generic CSV"


class RunState(models.TextChoices):
    PLANNED = "planned", "Waiting for confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    key = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=16, choices=SourceKind.choices)
    label = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.PLANNED)
    #: What the admin confirmed: {"statuses": {source status: local status id}, "board": ...}
    mapping = models.JSONField(default=dict)
    #: The dry run: counts per table and source statuses with their post counts.
    plan = models.JSONField(default=dict)
    #: {"phase": ..., "done": n, "total": n, "votes_at": n, "keep_numbers": bool}
    progress = models.JSONField(default=dict)
    #: What was written: rows created and matched per table.
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    #: An uploaded file, kept until the import finishes (the worker may be another machine).
    payload = models.BinaryField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.label}"


class ImportedObject(models.Model):
    """Source row -> local row, per run: what makes a resumed import skip what it did."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="imported")
    kind = models.CharField(max_length=16)  # user, board, tag, post, comment
    source_id = models.CharField(max_length=64)
    local_id = models.BigIntegerField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["run", "kind", "source_id"], name="imported_object_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} -> {self.local_id}"
