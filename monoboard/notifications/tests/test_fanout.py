"""Who is told about what: subscribers, the actor, preferences and digests."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import client_for, make_user
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.notifications.models import Notification, OutboxEmail, OutboxState
from monoboard.notifications.tests.conftest import Jobs, sent_to

Capture = Any


def _status(name: str = "Planned") -> Status:
    return Status.objects.get_or_create(name=name, defaults={"slug": name.lower()})[0]


def _set_prefs(user: User, **choices: str) -> None:
    response = client_for(user).post("/notifications/preferences/", choices)
    assert response.status_code == 302


def test_status_change_reaches_voters_and_commenters_not_the_actor(
    jobs: Jobs,
    post: Post,
    member: User,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    commenter = make_user("cora@example.com", name="Cora Commenter")
    bystander = make_user("bea@example.com", name="Bea Bystander")
    with django_capture_on_commit_callbacks(execute=True):
        boards.vote_toggle(post=post, user=other_member)
        boards.comment_create(post=post, author=commenter, body="Yes please")
    jobs.run()
    mail.outbox.clear()
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status(), note="Next sprint")
    # The request only queued the fan-out; nobody has been told yet.
    assert jobs.queued() == ["fan_out_event"]
    assert not Notification.objects.exists()

    # One fan-out, then one job sends the three emails over one connection.
    assert jobs.run() == ["fan_out_event", "send_emails"]
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert told == {member.email, other_member.email, commenter.email}
    assert bystander.email not in told and moderator.email not in told
    assert {m.to[0] for m in mail.outbox} == told
    message = sent_to(other_member.email)[0]
    assert "Planned" in message.subject
    assert "Next sprint" in str(message.body)
    assert "https://feedback.example.com/b/features/p/" in str(message.body)


def test_actor_commenting_is_not_told_of_own_comment(
    jobs: Jobs,
    post: Post,
    member: User,
    other_member: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=post, author=other_member, body="Me too")
    jobs.run()
    assert list(Notification.objects.values_list("user_id", "kind")) == [(member.pk, "comment")]


def test_official_response_is_its_own_kind(
    jobs: Jobs,
    post: Post,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=post, author=moderator, body="We are on it", official=True)
    jobs.run()
    note = Notification.objects.get(user=member)
    assert note.kind == "official_response"
    assert "official response" in note.text


def test_unfollow_sticks_and_follow_subscribes(
    jobs: Jobs,
    post: Post,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    follower = make_user("fay@example.com", name="Fay Follower")
    with django_capture_on_commit_callbacks(execute=True):
        boards.vote_toggle(post=post, user=other_member)
    jobs.run()
    voter = client_for(other_member)
    assert voter.post(f"/notifications/follow/{post.pk}/", {"follow": "0"}).status_code == 302
    assert (
        client_for(follower).post(f"/notifications/follow/{post.pk}/", {"follow": "1"}).status_code
        == 302
    )
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status())
    jobs.run()
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert follower.pk in told
    assert other_member.pk not in told


def test_outsider_cannot_follow(outsider_client: Client, post: Post) -> None:
    response = outsider_client.post(f"/notifications/follow/{post.pk}/", {"follow": "1"})
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_private_post_follow_is_hidden_from_visitors(
    outsider_client: Client, member: User, private_board: Board
) -> None:
    hidden = boards.post_create(board=private_board, author=member, title="Secret roadmap")
    assert outsider_client.post(f"/notifications/follow/{hidden.pk}/").status_code == 404


def test_preferences_instant_digest_none(
    jobs: Jobs, post: Post, moderator: User, django_capture_on_commit_callbacks: Capture
) -> None:
    instant = make_user("ian@example.com")
    digest = make_user("dana@example.com")
    silent = make_user("nora@example.com")
    _set_prefs(digest, status_changed="digest", comment="instant", official_response="instant")
    _set_prefs(silent, status_changed="none", comment="none", official_response="none")
    with django_capture_on_commit_callbacks(execute=True):
        for user in (instant, digest, silent):
            boards.vote_toggle(post=post, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status(), note="Soon")
    jobs.run()

    assert len(sent_to(instant.email)) == 1
    assert sent_to(digest.email) == []
    assert sent_to(silent.email) == []
    # Everyone still sees it in the app.
    assert Notification.objects.filter(user__in=[instant, digest, silent]).count() == 3
    assert Notification.objects.get(user=digest).digest_pending


def test_digest_groups_items_into_one_email(
    jobs: Jobs,
    post: Post,
    public_board: Board,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _set_prefs(member, status_changed="digest", comment="digest", official_response="digest")
    second = boards.post_create(board=public_board, author=member, title="Export to CSV")
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status(), note="")
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=post, author=moderator, body="Design is ready")
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=second, author=moderator, body="Good idea")
    jobs.run()
    assert sent_to(member.email) == []

    from monoboard.notifications.tasks import send_daily_digests

    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.call() == 1
    jobs.run()
    [digest] = sent_to(member.email)
    assert "3 updates" in digest.subject
    body = str(digest.body)
    assert "Dark mode" in body and "Export to CSV" in body
    assert body.index("Dark mode") < body.index("Export to CSV")
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A second run finds nothing left to send.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.call() == 0
    jobs.run()
    assert len(sent_to(member.email)) == 1


def test_fan_out_job_run_twice_tells_each_person_once(
    jobs: Jobs,
    post: Post,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status())
    [queued] = jobs.results()
    with django_capture_on_commit_callbacks(execute=True):
        queued.task.call(*queued.args, **queued.kwargs)
    jobs.run()
    assert Notification.objects.filter(user=member).count() == 1
    assert OutboxEmail.objects.filter(user=member, state=OutboxState.SENT).count() == 1
    assert len(sent_to(member.email)) == 1


def test_fan_out_writes_in_a_constant_number_of_statements(
    jobs: Jobs,
    post: Post,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """Emails are rendered before the fan-out's transaction, and its rows go in
    with one INSERT per table: on SQLite that transaction holds the write lock
    every request waits for, so it must not grow with the number of people told."""
    for i in range(30):
        voter = make_user(f"voter{i}@example.com", name=f"Voter {i}")
        with django_capture_on_commit_callbacks(execute=True):
            boards.vote_toggle(post=post, user=voter)
    jobs.run()
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=_status())
    [queued] = [r for r in jobs.results() if r.task.name == "fan_out_event"]
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        told = queued.task.call(*queued.args, **queued.kwargs)
    assert told == 31  # thirty voters and the author
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    tables = sorted({sql.split('"')[1] for sql in inserts})
    assert tables == ["notifications_notification", "notifications_outboxemail"]
    assert len(inserts) == 2
    assert OutboxEmail.objects.filter(state=OutboxState.PENDING).count() == 31
