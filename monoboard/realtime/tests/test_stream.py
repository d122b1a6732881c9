"""The stream view in-process (ASGI through AsyncClient): access, replay, CORS,
and the attributes pages carry for live.js."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client, override_settings
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post
from monoboard.core.models import Event
from monoboard.realtime.tests.sse_client import Message, read_async


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return boards.post_create(board=public_board, author=member, title="Dark mode please")


@pytest.fixture
def private_post(private_board: Board, member: User) -> Post:
    return boards.post_create(board=private_board, author=member, title="Internal tooling")


def vote_as(user: User, post: Post, capture: Any) -> None:
    client = Client()
    client.force_login(user)
    with capture(execute=True):
        client.post(
            reverse("boards:vote", args=[post.board.slug, post.pk]),
            headers={"accept": "application/json"},
        )


def read(
    client: AsyncClient, path: str, *, until: str, last_event_id: int | None = None
) -> list[Message]:
    """Open the stream, read up to the first ``until`` message, then hang up."""

    async def go() -> list[Message]:
        headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        response = await client.get(path, headers=headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        chunks = cast(AsyncIterator[bytes], cast(Any, response).streaming_content)
        try:
            return await read_async(chunks, until=until)
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    return async_to_sync(go)()


def status_of(client: AsyncClient, path: str) -> int:
    async def go() -> int:
        return (await client.get(path)).status_code

    return async_to_sync(go)()


def test_reconnect_with_last_event_id_replays_what_was_missed(
    post: Post,
    other_member: User,
    admin: User,
    outsider_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    vote_as(other_member, post, django_capture_on_commit_callbacks)
    first = Event.objects.get(kind="vote.toggled")
    vote_as(admin, post, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        boards.comment_create(post=post, author=admin, body="Agreed")

    messages = read(
        AsyncClient(),
        f"/events/?board={post.board.slug}",
        until="comment.created",
        last_event_id=first.pk,
    )
    assert messages[0].retry is not None  # tells EventSource how soon to reconnect
    events = [m for m in messages if m.id]
    assert [m.kind for m in events] == ["vote.toggled", "comment.created"]
    assert int(events[0].id or 0) > first.pk
    assert events[0].json["vote_count"] == 3
    assert "voted" not in events[0].json  # someone else's vote stays theirs


def test_own_events_say_so(
    post: Post, other_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    vote_as(other_member, post, django_capture_on_commit_callbacks)
    client = AsyncClient()
    client.force_login(other_member)
    messages = read(client, f"/events/?post={post.pk}", until="vote.toggled", last_event_id=0)
    assert messages[-1].json == {
        "post_id": post.pk,
        "board_id": post.board_id,
        "mine": True,
        "voted": True,
        "vote_count": 2,
    }


def test_private_board_stream_is_missing_for_visitors(
    private_post: Post, outsider_client: Client
) -> None:
    visitor = AsyncClient()
    assert status_of(visitor, "/events/?board=internal") == 404
    assert status_of(visitor, f"/events/?post={private_post.pk}") == 404
    assert status_of(visitor, "/events/?board=no-such-board") == 404
    assert status_of(visitor, "/events/") == 404


def test_members_replay_private_board_events(
    private_post: Post, member: User, other_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    vote_as(other_member, private_post, django_capture_on_commit_callbacks)
    client = AsyncClient()
    client.force_login(member)
    messages = read(client, "/events/?board=internal", until="vote.toggled", last_event_id=0)
    assert messages[-1].json["vote_count"] == 2


def test_hidden_post_events_are_not_sent_to_visitors(
    post: Post,
    moderator: User,
    other_member: User,
    outsider_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    vote_as(other_member, post, django_capture_on_commit_callbacks)
    boards.post_set_hidden(post=post, actor=moderator, hidden=False)
    second = boards.post_create(board=post.board, author=moderator, title="Visible one")
    vote_as(other_member, second, django_capture_on_commit_callbacks)
    boards.post_set_hidden(post=post, actor=moderator, hidden=True)

    messages = read(AsyncClient(), "/events/?board=features", until="vote.toggled", last_event_id=0)
    assert [m.json["post_id"] for m in messages if m.kind == "vote.toggled"] == [second.pk]


@override_settings(REALTIME_REPLAY_LIMIT=1)
def test_too_much_missed_asks_the_page_to_reload(
    post: Post, other_member: User, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    vote_as(other_member, post, django_capture_on_commit_callbacks)
    vote_as(admin, post, django_capture_on_commit_callbacks)
    messages = read(AsyncClient(), "/events/?board=features", until="stale", last_event_id=0)
    assert [m.kind for m in messages if m.id] == ["vote.toggled", "stale"]


def test_cors_allows_the_site_on_the_same_host_only(public_board: Board, admin: User) -> None:
    async def go(origin: str) -> tuple[str | None, str | None]:
        response = await AsyncClient().get("/events/?board=nope", headers={"origin": origin})
        return (
            response.headers.get("Access-Control-Allow-Origin"),
            response.headers.get("Access-Control-Allow-Credentials"),
        )

    assert async_to_sync(go)("http://testserver:8000") == ("http://testserver:8000", "true")
    assert async_to_sync(go)("https://evil.example") == (None, None)


def test_board_and_post_pages_tell_live_js_what_to_follow(
    post: Post, outsider_client: Client
) -> None:
    page = outsider_client.get(reverse("boards:board", args=[post.board.slug]))
    html = page.content.decode()
    assert 'data-events-url="http://testserver:81/events/"' in html
    assert 'data-live-board="features"' in html
    assert "realtime/live.js" in html
    page = outsider_client.get(reverse("boards:post", args=[post.board.slug, post.pk, post.slug]))
    assert f'data-live-post="{post.pk}"' in page.content.decode()
    with override_settings(REALTIME_EVENTS_URL="/events/", PAGE_CACHE_SECONDS=0):
        page = outsider_client.get(reverse("boards:board", args=[post.board.slug]))
    assert 'data-events-url="/events/"' in page.content.decode()


def test_open_streams_are_counted_for_metrics(post: Post) -> None:
    from prometheus_client import REGISTRY

    def open_streams() -> float:
        return REGISTRY.get_sample_value("monoboard_sse_connections") or 0.0

    before = open_streams()
    seen: list[float] = []

    async def go() -> None:
        response = await AsyncClient().get(f"/events/?post={post.pk}")
        chunks = cast(AsyncIterator[bytes], cast(Any, response).streaming_content)
        try:
            await read_async(chunks, until="ready")
            seen.append(open_streams())
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    async_to_sync(go)()
    assert seen == [before + 1]
    assert open_streams() == before
