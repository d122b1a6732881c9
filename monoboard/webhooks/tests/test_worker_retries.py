"""Through the real jobs worker: a 500 schedules a retry with backoff, then it succeeds."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.jobs.queue import attempts
from monoboard.jobs.worker import Worker, WorkerConfig
from monoboard.webhooks import services
from monoboard.webhooks.models import Attempt, Delivery
from monoboard.webhooks.tests.conftest import Receiver


def test_worker_retries_a_failed_delivery_with_backoff(
    receiver: Receiver,
    admin: User,
    member: User,
    public_board: Board,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.endpoint_create(actor=admin, url=receiver.url, events=["post.created"])
    receiver.replies = [500]
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_create(board=public_board, author=member, title="Dark mode")
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="webhooks-test")
    worker.consume_events_once()  # the consumer writes the delivery and its job

    before = timezone.now()
    assert worker.work_once()
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY and attempts(row) == 1
    wait = (row.run_after - before).total_seconds()
    base = settings.WEBHOOKS_RETRY_BASE_DELAY_S
    assert base / 2 <= wait <= base + 0.5
    assert not worker.work_once()  # not due yet

    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    assert worker.work_once()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert [a.status_code for a in Attempt.objects.order_by("number")] == [500, 200]
    assert Delivery.objects.get().state == Delivery.State.SUCCEEDED
    assert len(receiver.requests) == 2
