"""Helpers shared by the page tests: making posts and their URLs."""

from __future__ import annotations

from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post


def make_post(board: Board, author: User, title: str = "Dark mode please", body: str = "") -> Post:
    return services.post_create(board=board, author=author, title=title, body=body)


def post_url(post: Post) -> str:
    return reverse(
        "boards:post",
        kwargs={"board_slug": post.board.slug, "post_id": post.pk, "post_slug": post.slug},
    )


def action_url(post: Post, name: str, **extra: int) -> str:
    return reverse(
        f"boards:{name}", kwargs={"board_slug": post.board.slug, "post_id": post.pk, **extra}
    )
