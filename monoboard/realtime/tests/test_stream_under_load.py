"""Sixteen writers at once, one open stream: every event arrives, in commit order.

With event ids handed out at insert time, PostgreSQL commits them out of
order and a stream tailing ``id > last_seen`` silently lost a few events in
every few thousand. The log now numbers events in commit order; this test
holds a real stream open against a real events process while 16 threads
vote through the services on their own connections, and counts.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import connections

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.core.models import Event
from monoboard.realtime.tests.sse_client import Stream, events_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WRITERS = 16
TOGGLES = 20  # per writer: 320 events in all
WAIT_S = 90


def write(voter: User, posts: list[Post], errors: list[BaseException]) -> None:
    try:
        for i in range(TOGGLES):
            boards.vote_toggle(post=posts[i % len(posts)], user=voter)
    except BaseException as exc:  # reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


def test_every_event_reaches_an_open_stream_under_concurrent_writers(
    tmp_path: Path, public_board: Board, member: User
) -> None:
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    posts = [
        boards.post_create(board=public_board, author=member, title=f"Idea number {n}")
        for n in range(4)
    ]
    voters = [
        User.objects.create_user(email=f"writer{n}@example.com", password=None)
        for n in range(WRITERS)
    ]
    with events_server(tmp_path) as port:
        stream = Stream(port, f"/events/?board={public_board.slug}")
        try:
            stream.subscribed()
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=write, args=(voter, posts, errors)) for voter in voters
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(WAIT_S)
            assert not errors, errors
            expected = list(
                Event.objects.filter(kind="vote.toggled", board_id=public_board.pk)
                .order_by("id")
                .values_list("id", flat=True)
            )
            assert len(expected) == WRITERS * TOGGLES
            received: list[int] = []
            deadline = time.monotonic() + WAIT_S
            while len(received) < len(expected) and time.monotonic() < deadline:
                received.append(int(stream.next_event("vote.toggled").id or 0))
            took = time.monotonic() - started
        finally:
            stream.close()
    print(f"{len(received)}/{len(expected)} events streamed in {took:.1f} s")
    assert received == expected  # all of them, each once, in commit order
