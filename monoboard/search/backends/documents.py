"""What gets indexed for a post: its title, body and the words of its comments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from monoboard.boards.models import Comment, Post
from monoboard.search.backends.base import clean_text, write_alias


@dataclass(frozen=True)
class PostDocument:
    post_id: int
    board_id: int
    title: str
    body: str
    comments: str


def load_documents(post_ids: Iterable[int]) -> list[PostDocument]:
    """Documents for the listed posts among ``post_ids``; hidden, merged or missing posts
    get none (their index entries should be removed). Read from the database
    the index is written to, never a replica that may lag behind the write."""
    ids = list(post_ids)
    alias = write_alias()
    rows = (
        Post.objects.using(alias)
        .filter(pk__in=ids, is_listed=True)
        .values_list("pk", "board_id", "title", "body")
    )
    comments: dict[int, list[str]] = defaultdict(list)
    for post_id, body in (
        Comment.objects.using(alias)
        .filter(post_id__in=ids, deleted_at__isnull=True)
        .order_by("post_id", "created_at", "pk")
        .values_list("post_id", "body")
    ):
        comments[post_id].append(body)
    return [
        PostDocument(
            post_id=pk,
            board_id=board_id,
            title=clean_text(title),
            body=clean_text(body),
            comments=clean_text("\n\n".join(comments[pk])),
        )
        for pk, board_id, title, body in rows
    ]
