"""What the worker adds beside django-tasks-db's DBTaskResult table.

The queue itself (one row per task run, its status, arguments, result and
error) is django_tasks_db.models.DBTaskResult; attempts are the number of
workers that claimed a row (``worker_ids``).
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A live worker process; a row older than JOBS_LEASE_S marks a dead one."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    queues = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class Schedule(models.Model):
    """One row per recurring task: the last period some worker claimed."""

    name = models.CharField(max_length=100, primary_key=True)
    period_s = models.FloatField()
    last_period_start = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name
