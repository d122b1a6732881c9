"""Reads about the queue: backlog figures, the failed list, workers, schedules."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Min
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from monoboard.jobs.models import Schedule, WorkerHeartbeat
from monoboard.jobs.queue import Row, attempts
from monoboard.jobs.recurring import registered


@dataclass(frozen=True)
class Backlog:
    ready: int  # tasks whose time has come and that no worker has claimed yet
    oldest_ready_age_s: float  # 0.0 when nothing is ready
    running: int
    failed_last_hour: int

    @property
    def oldest_ready_age_text(self) -> str:
        return duration_text(self.oldest_ready_age_s)


def backlog(now: datetime.datetime | None = None) -> Backlog:
    """The figures the scale advisor and metrics read (a few indexed counts)."""
    now = now or timezone.now()
    ready = DBTaskResult.objects.ready()
    figures = ready.aggregate(oldest=Min("enqueued_at"))
    oldest = figures["oldest"]
    return Backlog(
        ready=ready.count(),
        oldest_ready_age_s=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        running=DBTaskResult.objects.running().count(),
        failed_last_hour=DBTaskResult.objects.failed()
        .filter(finished_at__gte=now - datetime.timedelta(hours=1))
        .count(),
    )


@dataclass(frozen=True)
class FailedJob:
    id: str
    name: str
    task_path: str
    queue_name: str
    args: str
    error: str
    message: str  # the exception's last line, for the list
    traceback: str
    attempts: int
    enqueued_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


def _last_line(traceback: str) -> str:
    lines = [line for line in traceback.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def duration_text(seconds: float) -> str:
    """A short human duration: "45 s", "12 min", "3 h", "2 days"."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{seconds:.0f} s"


def _failed_job(row: Row) -> FailedJob:
    args_kwargs: dict[str, Any] = row.args_kwargs or {}
    return FailedJob(
        id=str(row.id),
        name=row.task_path.rsplit(".", 1)[-1],
        task_path=row.task_path,
        queue_name=row.queue_name,
        args=json.dumps(args_kwargs, sort_keys=True),
        error=row.exception_class_path,
        message=_last_line(row.traceback),
        traceback=row.traceback,
        attempts=attempts(row),
        enqueued_at=row.enqueued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def failed_jobs(limit: int = 100) -> list[FailedJob]:
    """Most recently failed first."""
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        .order_by("-finished_at")
        .defer("return_value")[:limit]
    )
    return [_failed_job(row) for row in rows]


def failed_count() -> int:
    return DBTaskResult.objects.failed().count()


def live_workers(lease_s: float) -> list[WorkerHeartbeat]:
    cutoff = timezone.now() - datetime.timedelta(seconds=lease_s)
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).order_by("started_at"))


@dataclass(frozen=True)
class ScheduleInfo:
    name: str
    task_path: str
    every: datetime.timedelta
    last_run_at: datetime.datetime | None

    @property
    def every_text(self) -> str:
        return duration_text(self.every.total_seconds())


def schedules() -> list[ScheduleInfo]:
    last = dict(Schedule.objects.values_list("name", "last_run_at"))
    return [
        ScheduleInfo(
            name=r.name, task_path=r.task.module_path, every=r.every, last_run_at=last.get(r.name)
        )
        for r in registered()
    ]
