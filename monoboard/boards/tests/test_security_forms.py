"""Forms refuse NUL characters with a 400, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post
from monoboard.lib.text import NUL_MESSAGE


def test_new_post_with_nul_answers_400(member_client: Client, public_board: Board) -> None:
    response = member_client.post(
        reverse("boards:board", args=[public_board.slug]), {"title": "Nul\x00", "body": "b"}
    )
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_comment_with_nul_answers_400(
    member_client: Client, public_board: Board, member: User
) -> None:
    post = services.post_create(board=public_board, author=member, title="Fine")
    response = member_client.post(
        reverse("boards:comment_create", args=[public_board.slug, post.pk]), {"body": "a\x00b"}
    )
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_profile_with_nul_answers_400_with_the_shared_message(member_client: Client) -> None:
    response = member_client.post(
        reverse("accounts:profile"),
        {"action": "profile", "name": "Mel\x00", "email": "mem@example.com"},
    )
    assert response.status_code == 400
    assert response.context["profile_form"].errors["name"] == [NUL_MESSAGE]
