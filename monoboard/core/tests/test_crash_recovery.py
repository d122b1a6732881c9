"""A process killed at any step between a write and its effects loses nothing.

Real processes against this test run's database file (or PostgreSQL): a
writer SIGKILLed the instant its transaction commits, and a jobs worker
SIGKILLed again and again while it consumes events and runs their jobs.
Each effect (search index, notification fan-out and email, webhook
delivery) then happens exactly once after a restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.tasks import TaskResultStatus
from django.test import Client
from django_tasks_db.models import DBTaskResult

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Comment, Post
from monoboard.core.models import Event
from monoboard.jobs.tests.conftest import StartWorker, child_database_url, start_worker
from monoboard.notifications.models import OutboxEmail, OutboxState
from monoboard.webhooks import services as webhooks
from monoboard.webhooks.models import Delivery
from monoboard.webhooks.tests.conftest import Receiver, receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
__all__ = ["receiver", "start_worker"]  # fixtures used here

WORKER_ENV = {"WEBHOOKS_ALLOW_PRIVATE": "true", "EMAIL_MODE": "file"}


def finish(start: StartWorker) -> None:
    """A worker in batch mode: consume every event, run every job, exit."""
    proc = start("--batch", **WORKER_ENV)
    assert proc.wait(timeout=60) == 0


def search_hits(word: str) -> int:
    html = Client().get("/search/", {"q": word}).content.decode()
    return html.count('data-testid="search-hit"')


def comment_in_child(tmp_path: Path, post: Post, author: User, body: str) -> int:
    """Comment from another process that SIGKILLs itself the moment it commits."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from django.db import transaction
        from monoboard.accounts.models import User
        from monoboard.boards import services
        from monoboard.boards.models import Post
        post = Post.objects.select_related("board").get(pk={post.pk})
        author = User.objects.get(pk={author.pk})
        with transaction.atomic():
            # Runs before any other on-commit work the write registers.
            transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
            services.comment_create(post=post, author=author, body={body!r})
        """
    )
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MONOBOARD_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c", script]
    return subprocess.run(command, env=env, timeout=60, check=False).returncode


@pytest.fixture
def post(receiver: Receiver, admin: User, member: User, public_board: Board) -> Post:
    """A member's post on a site with one webhook endpoint for comments."""
    webhooks.endpoint_create(actor=admin, url=receiver.url, events=["comment.created"])
    return boards.post_create(board=public_board, author=member, title="Offline mode")


def test_a_writer_killed_right_after_commit_still_gets_every_effect_once(
    start_worker: StartWorker,
    receiver: Receiver,
    tmp_path: Path,
    post: Post,
    member: User,
    other_member: User,
) -> None:

    code = comment_in_child(tmp_path, post, other_member, "Quokka sync would help")
    assert code == -signal.SIGKILL
    assert Comment.objects.filter(body="Quokka sync would help").count() == 1
    assert Event.objects.filter(kind="comment.created").count() == 1

    finish(start_worker)
    finish(start_worker)  # a second run finds nothing left to do

    assert search_hits("quokka") == 1
    assert Delivery.objects.filter(event="comment.created").count() == 1
    assert len(receiver.requests) == 1
    emails = OutboxEmail.objects.filter(recipient=member.email)
    assert [e.state for e in emails] == [OutboxState.SENT]


def test_a_worker_killed_again_and_again_acts_on_each_event_exactly_once(
    start_worker: StartWorker,
    receiver: Receiver,
    post: Post,
    member: User,
    other_member: User,
) -> None:
    count = 24
    for i in range(count):
        boards.comment_create(post=post, author=other_member, body=f"Wombat idea {i}")

    # Kill the worker at staggered moments: inside a consumer's batch, between
    # a batch and its jobs, in the middle of jobs. Each restart resumes.
    kills = 0
    for delay in (0.3, 0.5, 0.7, 0.9, 1.1, 1.4):
        proc = start_worker(**WORKER_ENV)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
    finish(start_worker)
    finish(start_worker)

    assert kills == 6
    assert search_hits("wombat") == 1
    fan_outs = DBTaskResult.objects.filter(task_path__endswith="fan_out_event")
    assert fan_outs.count() == count  # one fan-out job per comment, never two
    assert set(fan_outs.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    deliveries = Delivery.objects.filter(event="comment.created")
    assert deliveries.count() == count  # one delivery per comment per endpoint
    # A webhook killed mid-request may be sent again (receivers dedupe by its id),
    # but every delivery reached the receiver.
    sent = Counter(r.headers.get("X-Monoboard-Delivery", "") for r in receiver.requests)
    assert len(sent) == count
    emails = OutboxEmail.objects.filter(recipient=member.email)
    assert emails.count() == count  # one email per comment to the post's author
    assert set(emails.values_list("state", flat=True)) == {OutboxState.SENT}
