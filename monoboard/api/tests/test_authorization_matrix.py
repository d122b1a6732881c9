"""Persona x endpoint x board visibility: the status code each one gets.

Anonymous callers get 401 for writes, 404 for anything private; members get
403 for moderation; nothing on a private board is visible without signing in.
"""

from __future__ import annotations

from typing import Any

import pytest

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient, key_for
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status

PERSONAS = ("anonymous", "member", "moderator", "admin")

# (method, path template, body, expected status per persona on a PUBLIC board)
# {slug} and {post} are filled in; the private board's expectations follow
# from the rule in _private_expectation.
CASES: list[tuple[str, str, dict[str, Any] | None, tuple[int, int, int, int]]] = [
    ("GET", "/boards/{slug}", None, (200, 200, 200, 200)),
    ("GET", "/boards/{slug}/posts", None, (200, 200, 200, 200)),
    ("GET", "/posts/{post}", None, (200, 200, 200, 200)),
    ("GET", "/posts/{post}/comments", None, (200, 200, 200, 200)),
    ("GET", "/boards/{slug}/similar?title=dark", None, (200, 200, 200, 200)),
    ("POST", "/boards/{slug}/posts", {"title": "A brand new idea"}, (401, 201, 201, 201)),
    ("POST", "/posts/{post}/comments", {"body": "Me too"}, (401, 201, 201, 201)),
    ("PUT", "/posts/{post}/vote", None, (401, 200, 200, 200)),
    ("PATCH", "/posts/{post}", {"title": "Edited title"}, (401, 403, 200, 200)),
    ("GET", "/posts/{post}/voters", None, (401, 403, 200, 200)),
    ("PUT", "/posts/{post}/hidden", {"hidden": True}, (401, 403, 200, 200)),
    ("POST", "/posts/{post}/status", {"status_id": "{status}"}, (401, 403, 200, 200)),
    ("DELETE", "/posts/{post}", None, (401, 403, 204, 204)),
    ("PATCH", "/boards/{slug}", {"name": "Renamed"}, (401, 403, 403, 200)),
    ("DELETE", "/boards/{slug}", None, (401, 403, 403, 204)),
]


def _private_expectation(persona: str, public: int) -> int:
    # A private board does not exist for anonymous callers, whatever they ask.
    return 404 if persona == "anonymous" else public


@pytest.fixture
def clients(admin: User, moderator: User, member: User) -> dict[str, ApiClient]:
    return {
        "anonymous": ApiClient(),
        "member": ApiClient(key_for(member)),
        "moderator": ApiClient(key_for(moderator)),
        "admin": ApiClient(key_for(admin)),
    }


def _fill(value: Any, board: Board, post: Post, status: Status) -> Any:
    if isinstance(value, str):
        filled = value.format(slug=board.slug, post=post.pk, status=status.pk)
        return int(filled) if value == "{status}" else filled
    if isinstance(value, dict):
        return {k: _fill(v, board, post, status) for k, v in value.items()}
    return value


@pytest.mark.parametrize("visibility", ["public", "private"])
@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES)
def test_matrix(
    clients: dict[str, ApiClient],
    other_member: User,
    visibility: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    expected: tuple[int, int, int, int],
) -> None:
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    for persona, public_status in zip(PERSONAS, expected, strict=True):
        # A fresh board and post per persona: deletes and hides must not leak
        # from one persona's request into the next.
        board = Board.objects.create(
            name=f"{persona} board",
            slug=f"{visibility}-{persona}",
            is_private=visibility == "private",
        )
        post = services.post_create(board=board, author=other_member, title="Dark mode please")
        status = Status.objects.create(name=f"Planned {persona}", slug=f"planned-{persona}")
        response = clients[persona].call(
            method, _fill(path, board, post, status), body=_fill(body, board, post, status)
        )
        got[persona] = response.status_code
        want[persona] = (
            public_status
            if visibility == "public"
            else _private_expectation(persona, public_status)
        )
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
    assert got == want


def test_hidden_post_is_404_for_members_but_visible_to_its_author_and_moderators(
    clients: dict[str, ApiClient], public_board: Board, other_member: User, moderator: User
) -> None:
    post = services.post_create(board=public_board, author=other_member, title="Hide me later")
    services.post_set_hidden(post=post, actor=moderator, hidden=True)
    assert clients["anonymous"].get(f"/posts/{post.pk}").status_code == 404
    assert clients["member"].get(f"/posts/{post.pk}").status_code == 404
    assert clients["moderator"].get(f"/posts/{post.pk}").json()["hidden"] is True
    assert ApiClient(key_for(other_member)).get(f"/posts/{post.pk}").status_code == 200


def test_board_list_hides_private_boards_from_anonymous(
    clients: dict[str, ApiClient], public_board: Board, private_board: Board
) -> None:
    anon = [b["slug"] for b in clients["anonymous"].get("/boards").json()]
    member = [b["slug"] for b in clients["member"].get("/boards").json()]
    assert anon == ["features"]
    assert sorted(member) == ["features", "internal"]


def test_only_admins_create_boards(clients: dict[str, ApiClient]) -> None:
    body = {"name": "Bugs"}
    assert clients["anonymous"].post("/boards", body).status_code == 401
    assert clients["member"].post("/boards", body).status_code == 403
    assert clients["moderator"].post("/boards", body).status_code == 403
    created = clients["admin"].post("/boards", body)
    assert created.status_code == 201
    assert created.json()["slug"] == "bugs"
