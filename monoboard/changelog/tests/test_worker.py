"""A scheduled entry is published by the jobs worker at its time, once, even when
workers are killed around that time; its announcement goes out once per person.

Real ``runworker`` processes against this test run's database.
"""

from __future__ import annotations

import datetime
import signal
import time

import pytest
from django.utils import timezone

from conftest import make_user
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, StatusChange
from monoboard.changelog import services
from monoboard.changelog.models import Entry, EntryState
from monoboard.core.models import Event
from monoboard.jobs.tests.conftest import StartWorker, start_worker
from monoboard.notifications.models import Notification, OutboxEmail, OutboxState

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
__all__ = ["start_worker"]

WORKER_ENV = {"EMAIL_MODE": "file"}


def finish(start: StartWorker) -> None:
    proc = start("--batch", **WORKER_ENV)
    assert proc.wait(timeout=60) == 0


def test_killed_workers_still_publish_a_scheduled_entry_once(
    start_worker: StartWorker, admin: User, member: User, public_board: Board
) -> None:
    dark = boards.post_create(board=public_board, author=member, title="Dark mode", body="")
    export = boards.post_create(board=public_board, author=member, title="CSV export", body="")
    fan = make_user("fan@example.com", name="Fan")
    boards.vote_toggle(post=dark, user=fan)
    boards.vote_toggle(post=export, user=fan)
    finish(start_worker)  # the earlier events' jobs are done
    OutboxEmail.objects.all().delete()

    entry = services.entry_create(
        actor=admin, title="Spring", post_ids=[dark.pk, export.pk], mark_shipped=True
    )
    due = timezone.now() + datetime.timedelta(seconds=5)
    services.entry_schedule(actor=admin, entry=entry, at=due)

    finish(start_worker)  # before its time: nothing is published
    if timezone.now() < due:
        assert Entry.objects.get(pk=entry.pk).state == EntryState.SCHEDULED

    # Workers killed before, at and after the due time.
    for delay in (1.0, 1.5, 2.0):
        proc = start_worker(**WORKER_ENV)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.2)
    finish(start_worker)
    finish(start_worker)

    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED
    assert entry.published_at is not None and entry.published_at >= due
    assert Event.objects.filter(kind="changelog.published").count() == 1
    assert StatusChange.objects.filter(post__in=[dark, export], to_status__slug="done").count() == 2
    assert sorted(Notification.objects.values_list("user__email", flat=True)) == sorted(
        [member.email, fan.email]
    )
    emails = OutboxEmail.objects.all()
    assert sorted(emails.values_list("recipient", flat=True)) == sorted([member.email, fan.email])
    assert set(emails.values_list("state", flat=True)) == {OutboxState.SENT}
