"""Pages run a fixed number of queries, however many posts or comments there are."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status, Tag
from monoboard.boards.tests.pages import make_post, post_url

pytestmark = pytest.mark.django_db


def count_queries(client: Client, url: str) -> int:
    """Queries of a repeat visit (the first request of a process warms caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def fill_board(board: Board, author: User, n: int, admin: User) -> list[Post]:
    tag = Tag.objects.get_or_create(name="UX", slug="ux")[0]
    planned = Status.objects.get(slug="planned")
    posts = []
    for i in range(n):
        post = make_post(board, author, title=f"Idea number {i}", body="Some *detail*")
        post.tags.add(tag)
        if i % 2:
            post.status = planned
            post.save(update_fields=["status"])
        services.comment_create(post=post, author=author, body="Me too")
        posts.append(post)
    return posts


@pytest.mark.parametrize("persona", ["outsider_client", "member_client", "moderator_client"])
def test_board_home_and_roadmap_queries_do_not_grow_with_posts(
    request: pytest.FixtureRequest,
    persona: str,
    public_board: Board,
    other_member: User,
    admin: User,
    django_assert_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    client: Client = request.getfixturevalue(persona)
    urls = [
        reverse("boards:board", args=[public_board.slug]),
        reverse("boards:board", args=[public_board.slug]) + "?sort=top&status=planned&tag=ux",
        reverse("boards:home"),
        reverse("boards:roadmap"),
    ]
    fill_board(public_board, other_member, 3, admin)
    small = [count_queries(client, url) for url in urls]
    fill_board(public_board, other_member, 27, admin)
    assert [count_queries(client, url) for url in urls] == small
    for url, expected in zip(urls, small, strict=True):
        with django_assert_num_queries(expected):
            client.get(url)


@pytest.mark.parametrize("persona", ["outsider_client", "member_client", "moderator_client"])
def test_post_page_queries_do_not_grow_with_comments_or_votes(
    request: pytest.FixtureRequest,
    persona: str,
    public_board: Board,
    other_member: User,
    django_assert_num_queries: Callable[[int], AbstractContextManager[object]],
    settings: Any,
) -> None:
    # Every vote and comment makes cached pages stale: compare renders, not hits.
    settings.PAGE_CACHE_SECONDS = 0
    client: Client = request.getfixturevalue(persona)
    post = make_post(public_board, other_member, title="Popular idea")
    planned = Status.objects.get(slug="planned")
    moderator = User.objects.filter(role="moderator").first() or User.objects.create_user(
        email="mod2@example.com", password=None, role="moderator"
    )

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            # No password: hashing one is slow and beside the point here.
            voter = User.objects.create_user(email=f"v{i}@example.com", password=None)
            services.vote_toggle(post=post, user=voter)
            services.comment_create(post=post, author=voter, body=f"Comment {i}")
        services.post_set_status(post=post, actor=moderator, status=planned, note=f"n{start}")

    grow(3, 0)
    small = count_queries(client, post_url(post))
    grow(27, 3)
    with django_assert_num_queries(small):
        client.get(post_url(post))
