"""Faults: API requests that must be refused, whatever state the data is in.

An anonymous DELETE is refused like any anonymous write, also when the
comment is already deleted; a PATCH body that is not a JSON object is a
client error (problem+json), never accepted as "change nothing".

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_faults_api_input.py
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from monoboard.accounts import credentials
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post

pytestmark = pytest.mark.django_db

NOT_OBJECTS = ["[]", '"x"', "1", "null", "true", '[{"title": "A list"}]']


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return services.post_create(board=public_board, author=member, title="A post with comments")


@pytest.fixture
def comment(post: Post, member: User) -> Comment:
    return services.comment_create(post=post, author=member, body="A comment")


def bearer(user: User) -> dict[str, str]:
    secret = credentials.api_key_create(actor=user, name="test").secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_anonymous_delete_of_a_comment_is_refused(
    client: Client, post: Post, comment: Comment, member: User
) -> None:
    path = f"/api/v1/posts/{post.pk}/comments/{comment.pk}"
    live = client.delete(path)
    services.comment_delete(comment=comment, actor=member)
    deleted = client.delete(path)
    print(f"\nanonymous DELETE: live comment {live.status_code}, deleted {deleted.status_code}")
    assert live.status_code == 401
    assert deleted.status_code in (401, 404)
    assert deleted["Content-Type"] == "application/problem+json"


def test_delete_of_a_deleted_comment_by_another_member_is_refused(
    client: Client, post: Post, comment: Comment, member: User, other_member: User
) -> None:
    services.comment_delete(comment=comment, actor=member)
    path = f"/api/v1/posts/{post.pk}/comments/{comment.pk}"
    assert client.delete(path, **bearer(other_member)).status_code in (403, 404)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_patch_bodies_must_be_objects(
    client: Client,
    post: Post,
    comment: Comment,
    member: User,
    admin: User,
    public_board: Board,
    body: str,
) -> None:
    auth = bearer(member)
    admin_auth = bearer(admin)
    paths = [
        (f"/api/v1/posts/{post.pk}", auth),
        (f"/api/v1/posts/{post.pk}/comments/{comment.pk}", auth),
        (f"/api/v1/boards/{public_board.slug}", admin_auth),
    ]
    for path, headers in paths:
        response = client.patch(path, body, content_type="application/json", **headers)  # type: ignore[arg-type]
        assert response.status_code in (400, 422), (path, body, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert json.loads(response.content)["status"] == response.status_code
    post.refresh_from_db()
    assert post.title == "A post with comments"
