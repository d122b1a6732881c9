"""User text is inert in pages, and every state-changing form needs its CSRF token."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post
from monoboard.boards.tests.pages import action_url, make_post, post_url

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">go</a>',
    '"><svg onload=alert(1)>',
]


class _Elements(HTMLParser):
    """Collects what a browser would build: tags, attributes, script text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def assert_inert(html: str) -> None:
    parsed = _Elements()
    parsed.feed(html)
    assert not any("alert" in text for text in parsed.scripts)
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "action"}:
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_inert_in_titles_bodies_and_comments(
    member_client: Client, public_board: Board, member: User, payload: str
) -> None:
    post = make_post(public_board, member, title=f"Title {payload}", body=f"Body {payload}")
    services.comment_create(post=post, author=member, body=f"Comment {payload}")
    for url in (
        post_url(post),
        reverse("boards:board", args=[public_board.slug]),
        reverse("boards:home"),
    ):
        response = member_client.get(url)
        assert response.status_code == 200
        assert_inert(response.text)
    # The words are still shown, as text.
    assert escape(f"Title {payload}") in member_client.get(post_url(post)).text


def test_roadmap_escapes_titles(outsider_client: Client, public_board: Board, member: User) -> None:
    from monoboard.boards.models import Status

    post = make_post(public_board, member, title="<script>alert('x')</script> plan")
    Post.objects.filter(pk=post.pk).update(status=Status.objects.get(slug="planned"))
    page = outsider_client.get(reverse("boards:roadmap")).text
    assert "&lt;script&gt;alert" in page
    assert_inert(page)


@pytest.fixture
def strict_client(member: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


def test_csrf_is_enforced_on_vote_post_and_comment(
    strict_client: Client, public_board: Board, other_member: User
) -> None:
    post = make_post(public_board, other_member)
    vote = strict_client.post(action_url(post, "vote"), HTTP_ACCEPT="application/json")
    assert vote.status_code == 403
    assert "This form expired" in vote.text
    create = strict_client.post(
        reverse("boards:board", args=[public_board.slug]), {"title": "Sneaky post", "body": ""}
    )
    assert create.status_code == 403
    comment = strict_client.post(action_url(post, "comment_create"), {"body": "Sneaky"})
    assert comment.status_code == 403
    assert Post.objects.get(pk=post.pk).vote_count == 1
    assert not Post.objects.filter(title="Sneaky post").exists()
    assert not Comment.objects.exists()


def test_csrf_token_from_the_page_lets_the_vote_through(
    strict_client: Client, public_board: Board, other_member: User
) -> None:
    post = make_post(public_board, other_member)
    page = strict_client.get(post_url(post)).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = strict_client.post(
        action_url(post, "vote"),
        {"csrfmiddlewaretoken": token.group(1)},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"voted": True, "vote_count": 2}
