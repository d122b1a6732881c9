"""The jobs app's own tasks."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.tasks import task
from django.utils import timezone

BATCH_SIZE = 500


@task
def prune_finished_jobs() -> int:
    """Delete finished task rows older than JOBS_KEEP_FINISHED_DAYS, in batches.

    Idempotent: it deletes whatever is old enough when it runs, so running it
    twice (a retry, two overlapping runs) only finds less to delete. Small
    batches keep each write transaction, and so the SQLite write lock, short.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(days=settings.JOBS_KEEP_FINISHED_DAYS)
    old = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.order_by().values_list("id", flat=True)[:BATCH_SIZE])
        if not ids:
            return deleted
        count, _ = DBTaskResult.objects.filter(id__in=ids).delete()
        deleted += count
