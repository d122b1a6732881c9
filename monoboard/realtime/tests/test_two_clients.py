"""End to end: a real granian ASGI events process over the test database.

Client A holds a stream open; client B votes through the web app; A receives
the new count. The server runs in a subprocess, as ``manage.py serve`` runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.realtime.bus import get_backend
from monoboard.realtime.tests.sse_client import Stream, events_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def open_status(transactional_db: None) -> None:
    """Transactional tests start from empty tables, seeded statuses included."""
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})


@pytest.fixture
def events_port(tmp_path: Path, admin: User) -> Iterator[int]:
    with events_server(tmp_path) as port:
        yield port


def vote(user: User, post: Post) -> None:
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("boards:vote", args=[post.board.slug, post.pk]),
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_vote_reaches_an_open_stream(
    events_port: int, public_board: Board, member: User, other_member: User
) -> None:
    post = boards.post_create(board=public_board, author=member, title="Dark mode please")
    stream = Stream(
        events_port, "/events/?board=features", headers={"Origin": "http://127.0.0.1:8000"}
    )
    try:
        assert stream.status == 200
        assert stream.response.getheader("Access-Control-Allow-Credentials") == "true"
        stream.subscribed()
        vote(other_member, post)
        event = stream.next_event("vote.toggled")
        assert event.json["post_id"] == post.pk
        assert event.json["vote_count"] == 2
        assert "voted" not in event.json
    finally:
        stream.close()


def test_members_only_board_streams_to_members_only(
    events_port: int, private_board: Board, member: User, other_member: User
) -> None:
    post = boards.post_create(board=private_board, author=member, title="Internal tooling")
    outsider = Stream(events_port, "/events/?board=internal")
    try:
        assert outsider.status == 404
    finally:
        outsider.close()
    stream = Stream(
        events_port, "/events/?board=internal", headers={"Cookie": session_cookie(member)}
    )
    try:
        assert stream.status == 200
        stream.subscribed()
        vote(other_member, post)
        assert stream.next_event("vote.toggled").json["vote_count"] == 2
    finally:
        stream.close()


def test_pg_notify_wakes_the_stream_at_once(
    tmp_path: Path, public_board: Board, member: User, other_member: User
) -> None:
    """Polling and heartbeat catch-up are set to a minute: only NOTIFY can deliver."""
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    post = boards.post_create(board=public_board, author=member, title="Dark mode please")
    slow = {"REALTIME_BACKEND": "pg-notify", "REALTIME_HEARTBEAT": "60"}
    with override_settings(REALTIME_BACKEND="pg-notify"):
        get_backend.cache_clear()
        try:
            with events_server(tmp_path, **slow, REALTIME_POLL_INTERVAL="60") as port:
                stream = Stream(port, "/events/?board=features")
                try:
                    stream.subscribed()
                    vote(other_member, post)
                    assert stream.next_event("vote.toggled").json["vote_count"] == 2
                finally:
                    stream.close()
        finally:
            get_backend.cache_clear()
