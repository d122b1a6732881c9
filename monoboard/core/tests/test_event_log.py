"""Every write records its event in its own transaction; consumers act on it once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.core import consumers
from monoboard.core.events import DomainEvent, EmitOutsideTransaction, emit, event_prune
from monoboard.core.models import ConsumerPosition, Event
from monoboard.jobs.recurring import registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return boards.post_create(board=public_board, author=member, title="Dark mode please")


def test_a_vote_through_the_page_writes_its_event_in_its_own_transaction(
    post: Post, other_member: User
) -> None:
    client = Client()
    client.force_login(other_member)
    client.post(
        reverse("boards:vote", args=[post.board.slug, post.pk]),
        headers={"accept": "application/json"},
    )
    row = Event.objects.get(kind="vote.toggled")
    assert (row.board_id, row.post_id, row.actor_id) == (post.board_id, post.pk, other_member.pk)
    assert row.data == {"voted": True, "vote_count": 2}


def test_a_rolled_back_write_leaves_no_event(post: Post, other_member: User) -> None:
    class Abort(Exception):
        pass

    def vote_then_fail() -> None:
        with transaction.atomic():
            boards.vote_toggle(post=post, user=other_member)
            raise Abort

    before = Event.objects.count()
    with pytest.raises(Abort):
        vote_then_fail()
    assert Event.objects.count() == before
    assert Post.objects.get(pk=post.pk).vote_count == 1


def test_emit_outside_a_transaction_is_refused() -> None:
    # pytest-django wraps each test in a transaction; leave it to see the guard.
    from django.db import connection

    depth = connection.in_atomic_block
    assert depth
    connection.in_atomic_block = False
    try:
        with pytest.raises(EmitOutsideTransaction):
            emit(DomainEvent(kind="test.outside"))
    finally:
        connection.in_atomic_block = depth


def test_a_refused_board_change_records_nothing(admin: User, public_board: Board) -> None:
    before = Event.objects.count()
    with pytest.raises(ValidationError):
        boards.board_create(actor=admin, name="Another", slug=public_board.slug)
    with pytest.raises(ValidationError):
        boards.board_update(
            actor=admin, board=public_board, name="  ", description="", is_private=True
        )
    with pytest.raises(ValidationError):
        boards.tag_save(actor=admin, name="!!!")
    assert Event.objects.count() == before
    assert Board.objects.get(pk=public_board.pk).is_private is False


def test_board_changes_record_their_event_after_the_write(admin: User) -> None:
    board = boards.board_create(actor=admin, name="Roadmap ideas")
    row = Event.objects.order_by("-id").first()
    assert row is not None
    assert (row.kind, row.board_id) == ("board.created", board.pk)


def test_status_events_carry_the_colour_the_stream_shows(post: Post, moderator: User) -> None:
    planned = Status.objects.create(name="Next quarter", slug="next-quarter", color="#7c3aed")
    boards.post_set_status(post=post, actor=moderator, status=planned, note="Next month")
    row = Event.objects.get(kind="post.status_changed")
    assert row.data["color"] == "#7c3aed"


def test_consumers_read_each_event_once_and_keep_their_place(post: Post, member: User) -> None:
    consumers.drain()
    positions = dict(ConsumerPosition.objects.values_list("name", "position"))
    latest = Event.objects.order_by("-id").values_list("id", flat=True).first()
    assert set(positions) >= {"search.index", "notifications.fan_out", "webhooks.deliveries"}
    assert all(position == latest for position in positions.values())
    assert consumers.drain() == 0  # nothing new: nothing read again
    assert {status.name: status.behind for status in consumers.statuses()} == dict.fromkeys(
        [
            "changelog.announce",
            "imports.search",
            "notifications.fan_out",
            "search.index",
            "similar.vectors",
            "webhooks.deliveries",
        ],
        0,
    )


def test_a_failing_consumer_rolls_back_retries_then_skips_the_event(
    post: Post, member: User, settings: Any
) -> None:
    from monoboard.core import events

    settings.EVENTS_MAX_FAILURES = 2
    seen: list[int] = []

    @events.consumer("test.flaky", frozenset({"post.created", "post.updated"}))
    def flaky(event: DomainEvent) -> None:
        seen.append(event.post_id or 0)
        if event.kind == "post.created":
            raise RuntimeError("receiver down")

    try:
        item = events._consumers["test.flaky"]
        ConsumerPosition.objects.update_or_create(name="test.flaky", defaults={"position": 0})
        boards.post_update(post=post, actor=member, title="Dark mode, please", body="")
        for _ in range(2):
            with pytest.raises(RuntimeError):
                consumers.consume(item)
        row = ConsumerPosition.objects.get(name="test.flaky")
        assert (row.position, row.failures) == (0, 2)
        assert "receiver down" in row.last_error
        consumers.consume(item)  # gives up on the poisoned event, keeps going after it
        consumers.consume(item)
        row.refresh_from_db()
        assert row.skipped == 1
        assert row.position == Event.objects.order_by("-id").values_list("id", flat=True)[0]
        assert seen.count(post.pk) == 3  # two failed tries, then post.updated once
    finally:
        events._consumers.pop("test.flaky", None)


def test_prune_keeps_unread_events_and_the_retention_window(public_board: Board) -> None:
    consumers.drain()
    old = Event.objects.create(kind="vote.toggled", board_id=public_board.pk)
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert event_prune() == 0  # no consumer has read it yet
    consumers.drain()
    fresh = Event.objects.create(kind="vote.toggled", board_id=public_board.pk)
    assert event_prune(batch=1) >= 1
    assert Event.objects.filter(pk=old.pk).exists() is False
    assert Event.objects.filter(pk=fresh.pk).exists()
    assert "core.prune_events" in {r.name for r in registered()}


def test_admins_see_how_far_each_consumer_is_behind(post: Post, admin: User) -> None:
    client = Client()
    client.force_login(admin)
    page = client.get("/jobs/admin/").content.decode()
    assert 'data-testid="consumer-search.index"' in page
    assert "event" in page.split('data-testid="consumer-search.index"')[1].split("</tr>")[0]
    consumers.drain()
    page = client.get("/jobs/admin/").content.decode()
    row = page.split('data-testid="consumer-search.index"')[1].split("</tr>")[0]
    assert "up to date" in row


def test_a_pass_runs_only_the_consumers_that_want_a_new_event(
    post: Post, other_member: User
) -> None:
    consumers.drain()
    before = dict(ConsumerPosition.objects.values_list("name", "position"))
    boards.vote_toggle(post=post, user=other_member)  # only webhooks want votes
    assert consumers.consume_all(everyone=False) == 1
    after = dict(ConsumerPosition.objects.values_list("name", "position"))
    assert after["search.index"] == before["search.index"]  # not even a transaction
    assert after["notifications.fan_out"] == before["notifications.fan_out"]
    assert after["webhooks.deliveries"] > before["webhooks.deliveries"]
    # The admins' page does not call a consumer "behind" for events it ignores.
    by_name = {status.name: status for status in consumers.statuses()}
    assert by_name["search.index"].behind == 0
    # A later event it wants moves it past the ones it ignored.
    boards.comment_create(post=post, author=other_member, body="And offline too")
    consumers.consume_all(everyone=False)
    latest = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    assert ConsumerPosition.objects.get(name="search.index").position == latest


def test_consumers_that_want_the_same_event_move_in_one_commit(
    post: Post, other_member: User
) -> None:
    consumers.drain()
    boards.comment_create(post=post, author=other_member, body="Offline too, please")
    updates: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("UPDATE") and "core_consumerposition" in sql:
            updates.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        consumers.consume_all(everyone=False)
    latest = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    positions = dict(ConsumerPosition.objects.values_list("name", "position"))
    wanting = {"search.index", "notifications.fan_out", "webhooks.deliveries"}
    assert all(positions[name] == latest for name in wanting)
    assert len(updates) == 1  # one statement moves all three, in one transaction


def test_a_failing_consumer_does_not_hold_back_those_sharing_its_pass(
    post: Post, other_member: User
) -> None:
    from monoboard.core import events

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("receiver down")

    consumers.drain()
    events.consumer("test.broken", frozenset({"comment.created"}))(broken)
    try:
        ConsumerPosition.objects.update_or_create(
            name="test.broken", defaults={"position": events.latest_event_id()}
        )
        before = events.latest_event_id()
        boards.comment_create(post=post, author=other_member, body="Offline too, please")
        consumers.consume_all(everyone=False)
        latest = events.latest_event_id()
        broken_row = ConsumerPosition.objects.get(name="test.broken")
        assert (broken_row.position, broken_row.failures) == (before, 1)
        assert "receiver down" in broken_row.last_error
        for name in ("search.index", "notifications.fan_out", "webhooks.deliveries"):
            assert ConsumerPosition.objects.get(name=name).position == latest
    finally:
        events._consumers.pop("test.broken", None)
