"""Writes on the queue that people ask for (the worker's own writes are in queue.py)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from monoboard.core.events import DomainEvent, emit
from monoboard.core.roles import require_admin

if TYPE_CHECKING:
    from monoboard.core.roles import Actor


def job_retry(*, actor: Actor | None, job_id: str) -> None:
    """Put a failed task back to the queue with a fresh set of attempts."""
    require_admin(actor)
    try:
        pk = uuid.UUID(job_id)
    except ValueError as exc:
        raise Http404("No such job") from exc
    with transaction.atomic():
        changed = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=get_date_max(),
            started_at=None,
            finished_at=None,
            worker_ids=[],
        )
        if not changed:
            if not DBTaskResult.objects.filter(pk=pk).exists():
                raise Http404("No such job")
            raise ValidationError(
                {"job": "This job is not failed (it may have been retried already)."}
            )
        emit(
            DomainEvent(
                kind="job.retried", actor_id=actor.pk if actor else None, data={"job_id": str(pk)}
            )
        )
