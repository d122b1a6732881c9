"""The event log is written only after commit, with only what pages need."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.jobs.recurring import registered
from monoboard.realtime.models import Event
from monoboard.realtime.services import event_prune


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return boards.post_create(board=public_board, author=member, title="Dark mode please")


def vote_url(post: Post) -> str:
    return reverse("boards:vote", args=[post.board.slug, post.pk])


def test_vote_is_logged_after_commit(
    post: Post, other_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(other_member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(vote_url(post), headers={"accept": "application/json"})
    row = Event.objects.get(kind="vote.toggled")
    assert (row.board_id, row.post_id, row.actor_id) == (post.board_id, post.pk, other_member.pk)
    assert row.payload == {"voted": True, "vote_count": 2}


def test_rolled_back_write_publishes_nothing(
    post: Post, other_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    class Abort(Exception):
        pass

    def vote_then_fail() -> None:
        with transaction.atomic():
            boards.vote_toggle(post=post, user=other_member)
            raise Abort

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        vote_then_fail()
    assert callbacks == []
    assert not Event.objects.exists()
    assert Post.objects.get(pk=post.pk).vote_count == 1


def test_comment_and_status_events_carry_only_page_fields(
    post: Post, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    planned = Status.objects.create(name="Next quarter", slug="next-quarter", color="#7c3aed")
    with django_capture_on_commit_callbacks(execute=True):
        comment = boards.comment_create(post=post, author=moderator, body="On it", official=True)
        boards.post_set_status(post=post, actor=moderator, status=planned, note="Next month")
    by_kind = {row.kind: row.payload for row in Event.objects.all()}
    assert by_kind["comment.created"] == {"comment_id": comment.pk, "official": True}
    assert by_kind["post.status_changed"] == {
        "status": "Next quarter",
        "status_id": planned.pk,
        "note": "Next month",
        "color": "#7c3aed",
    }
    assert "post.created" not in by_kind  # not shown live, so not logged


def test_prune_keeps_the_retention_window(public_board: Board) -> None:
    old = Event.objects.create(kind="vote.toggled", board_id=public_board.pk, payload={})
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = Event.objects.create(kind="vote.toggled", board_id=public_board.pk, payload={})
    assert event_prune(batch=1) == 1
    assert list(Event.objects.values_list("id", flat=True)) == [fresh.pk]
    assert "realtime.prune_events" in {r.name for r in registered()}


def test_pg_notify_on_sqlite_falls_back_with_a_warning(settings: Any) -> None:
    from django.db import connection

    from monoboard.realtime.bus import effective_backend_name
    from monoboard.realtime.checks import pg_notify_needs_postgres

    settings.REALTIME_BACKEND = "pg-notify"
    if connection.vendor == "postgresql":
        assert effective_backend_name() == "pg-notify"
        assert pg_notify_needs_postgres() == []
    else:
        assert effective_backend_name() == "db-poll"
        assert [m.id for m in pg_notify_needs_postgres()] == ["realtime.W001"]
