"""Emails re-check, when they are sent, that each recipient may still see the post.

A notification is queued when something happens; the email leaves later (the
outbox job, the daily digest). In between the post may be hidden, deleted or
its board made members-only: a recipient who may no longer see it is told
nothing about it, and a digest with nothing left is not sent.
"""

from __future__ import annotations

from typing import Any

from django.core import mail

from conftest import client_for
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.notifications.models import OutboxEmail, OutboxState
from monoboard.notifications.tasks import send_daily_digests
from monoboard.notifications.tests.conftest import Jobs, sent_to

Capture = Any


def _run_fan_out_only(jobs: Jobs) -> None:
    """Run the queued fan-out jobs; the sending jobs they queue wait."""
    results = jobs.results()
    assert [r.task.name for r in results] == ["fan_out_event"]
    jobs.backend().clear()
    for result in results:
        with jobs.capture(execute=True):
            result.task.call(*result.args, **result.kwargs)
    assert set(jobs.queued()) == {"send_emails"}


def _digest_only(user: User) -> None:
    response = client_for(user).post(
        "/notifications/preferences/",
        {"status_changed": "digest", "comment": "digest", "official_response": "digest"},
    )
    assert response.status_code == 302


def _comment(post: Post, author: User, capture: Capture) -> None:
    with capture(execute=True):
        boards.comment_create(post=post, author=author, body="We are looking at it")


def test_instant_email_about_a_post_hidden_before_sending_is_not_sent(
    jobs: Jobs,
    post: Post,
    member: User,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        boards.vote_toggle(post=post, user=other_member)
    jobs.run()
    mail.outbox.clear()

    _comment(post, moderator, django_capture_on_commit_callbacks)
    _run_fan_out_only(jobs)
    assert OutboxEmail.objects.filter(recipient=other_member.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    jobs.run()

    # The voter may not see a hidden post; its author still may.
    assert sent_to(other_member.email) == []
    assert len(sent_to(member.email)) == 1
    withheld = OutboxEmail.objects.get(recipient=other_member.email)
    assert withheld.state == OutboxState.WITHHELD
    assert "no longer see" in withheld.last_error
    assert withheld.attempts == 1  # not retried: another run leaves it alone
    jobs.run()
    from monoboard.notifications import delivery

    assert delivery.drain_outbox().sent == 0
    assert sent_to(other_member.email) == []


def test_instant_email_about_a_deleted_post_is_not_sent(
    jobs: Jobs,
    post: Post,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    mail.outbox.clear()
    _comment(post, moderator, django_capture_on_commit_callbacks)
    _run_fan_out_only(jobs)
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_delete(post=post, actor=moderator)
    jobs.run()
    assert sent_to(member.email) == []
    assert OutboxEmail.objects.get(recipient=member.email).state == OutboxState.WITHHELD


def test_instant_email_to_a_deactivated_recipient_of_a_now_private_board_is_not_sent(
    jobs: Jobs,
    post: Post,
    public_board: Board,
    other_member: User,
    moderator: User,
    admin: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        boards.vote_toggle(post=post, user=other_member)
    jobs.run()
    mail.outbox.clear()
    _comment(post, moderator, django_capture_on_commit_callbacks)
    _run_fan_out_only(jobs)
    # The board becomes members-only and the voter is no longer a member.
    with django_capture_on_commit_callbacks(execute=True):
        boards.board_update(
            actor=admin,
            board=public_board,
            name=public_board.name,
            description=public_board.description,
            is_private=True,
        )
    User.objects.filter(pk=other_member.pk).update(is_active=False)
    jobs.run()
    assert sent_to(other_member.email) == []


def _two_posts_waiting_in_a_digest(
    jobs: Jobs,
    post: Post,
    board: Board,
    member: User,
    reader: User,
    moderator: User,
    capture: Capture,
) -> None:
    """``reader`` takes digests, voted on ``post`` and a second post; both got a comment."""
    _digest_only(reader)
    second = boards.post_create(board=board, author=member, title="Export to CSV")
    for p in (post, second):
        with capture(execute=True):
            boards.vote_toggle(post=p, user=reader)
    jobs.run()
    _comment(post, moderator, capture)
    _comment(second, moderator, capture)
    jobs.run()


def test_digest_leaves_out_a_post_hidden_before_it_was_built(
    jobs: Jobs,
    post: Post,
    public_board: Board,
    member: User,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _two_posts_waiting_in_a_digest(
        jobs,
        post,
        public_board,
        member,
        other_member,
        moderator,
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.call() == 1
    jobs.run()
    [digest] = sent_to(other_member.email)
    assert "1 update" in digest.subject
    body = str(digest.body) + str(getattr(digest, "alternatives", ""))
    assert "Export to CSV" in body
    assert "Dark mode" not in body
    assert f"/p/{post.pk}/" not in body


def test_digest_built_then_post_hidden_is_checked_again_when_sent(
    jobs: Jobs,
    post: Post,
    public_board: Board,
    member: User,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _two_posts_waiting_in_a_digest(
        jobs,
        post,
        public_board,
        member,
        other_member,
        moderator,
        django_capture_on_commit_callbacks,
    )
    mail.outbox.clear()

    # The digest is queued naming both posts; one is hidden before it leaves.
    assert send_daily_digests.call() == 1
    queued = OutboxEmail.objects.get(recipient=other_member.email, kind="digest")
    assert "Dark mode" in queued.body
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    jobs.run()
    from monoboard.notifications import delivery

    delivery.drain_outbox()
    [digest] = sent_to(other_member.email)
    body = str(digest.body) + str(getattr(digest, "alternatives", ""))
    assert "Export to CSV" in body
    assert "Dark mode" not in body
    assert "1 update" in digest.subject


def test_digest_with_nothing_left_is_not_sent(
    jobs: Jobs,
    post: Post,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _digest_only(other_member)
    with django_capture_on_commit_callbacks(execute=True):
        boards.vote_toggle(post=post, user=other_member)
    jobs.run()
    status = Status.objects.exclude(pk=post.status_id).first()
    assert status is not None
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=status, note="Soon")
    jobs.run()
    mail.outbox.clear()

    # Queued, then hidden before the outbox runs: nothing is sent.
    assert send_daily_digests.call() == 1
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    from monoboard.notifications import delivery

    delivery.drain_outbox()
    assert sent_to(other_member.email) == []
    assert OutboxEmail.objects.get(kind="digest").state == OutboxState.WITHHELD

    # Hidden before the digest is built: no digest at all.
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=False)
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=post, author=moderator, body="Design is ready")
    jobs.run()
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    assert send_daily_digests.call() == 0
    assert OutboxEmail.objects.filter(kind="digest").count() == 1
