"""The event stream refuses malformed numbers with 400, and closes a stream
whose member signed out or was deactivated."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse

from monoboard.accounts import services as accounts
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.realtime.tests.sse_client import WAIT, Stream, events_server


def status_of(path: str, headers: dict[str, str] | None = None) -> int:
    async def go() -> int:
        return (await AsyncClient().get(path, headers=headers or {})).status_code

    return async_to_sync(go)()


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return boards.post_create(board=public_board, author=member, title="Dark mode please")


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("post=²", {}),
        ("post=١٢", {}),
        ("board=features&last_event_id=²", {}),
        ("board=features", {"Last-Event-ID": "²"}),
        ("post=99999999999999999999999", {}),
        ("board=features&last_event_id=99999999999999999999999", {}),
        ("post=-1", {}),
        ("post=abc", {}),
    ],
)
def test_non_ascii_or_out_of_range_numbers_answer_400(
    post: Post, query: str, headers: dict[str, str]
) -> None:
    assert status_of(f"/events/?{query}", headers) == 400


def test_ascii_numbers_still_stream(post: Post) -> None:
    assert status_of(f"/events/?post={post.pk}&last_event_id=0") == 200


# --- open streams re-check who is signed in ------------------------------------------


@pytest.fixture
def events_port(tmp_path: Path, admin: User) -> Iterator[int]:
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    with events_server(tmp_path, REALTIME_SESSION_CHECK="0.2") as port:
        yield port


def signed_in_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vote(user: User, post: Post) -> None:
    response = signed_in_client(user).post(
        reverse("boards:vote", args=[post.board.slug, post.pk]),
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200


def closes(stream: Stream) -> bool:
    """True once the server ends the stream (within WAIT)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = stream.response.readline()
        except TimeoutError:
            return False
        if not line:
            return True
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_stream_closes_when_its_member_signs_out(
    events_port: int, private_board: Board, member: User, other_member: User
) -> None:
    post = boards.post_create(board=private_board, author=member, title="Internal tooling")
    browser = signed_in_client(member)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    stream = Stream(events_port, "/events/?board=internal", headers={"Cookie": cookie})
    try:
        assert stream.status == 200
        stream.subscribed()
        vote(other_member, post)
        assert stream.next_event("vote.toggled").json["vote_count"] == 2
        assert browser.post(reverse("accounts:signout")).status_code == 302
        assert closes(stream)
    finally:
        stream.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_stream_closes_when_its_member_is_deactivated(
    events_port: int, private_board: Board, admin: User, member: User
) -> None:
    boards.post_create(board=private_board, author=admin, title="Internal tooling")
    cookie = f"sessionid={signed_in_client(member).cookies['sessionid'].value}"
    stream = Stream(events_port, "/events/?board=internal", headers={"Cookie": cookie})
    try:
        assert stream.status == 200
        stream.subscribed()
        accounts.user_deactivate(actor=admin, user=member)
        assert closes(stream)
    finally:
        stream.close()
