"""Keeps the search index in step with posts, after each commit.

At stage 1 the index is updated inline, in the request that made the change,
right after its transaction commits: a few milliseconds for one post, and the
result is searchable the moment the page reloads. The trade-off is that this
work is added to that request's response time and an indexing failure is only
logged (``manage.py reindex`` repairs any drift). Once a jobs worker runs,
this is the place to enqueue the post id instead.
"""

from __future__ import annotations

import logging

from monoboard.boards.effects import DomainEvent, subscribe

logger = logging.getLogger(__name__)

#: Events after which a post's indexed text or listing may have changed.
INDEXED_EVENTS = frozenset(
    {
        "post.created",
        "post.updated",
        "post.deleted",
        "post.hidden",
        "post.unhidden",
        "post.merged",
        "post.unmerged",
        "post.status_changed",
        "comment.created",
        "comment.updated",
        "comment.deleted",
    }
)


def on_event(event: DomainEvent) -> None:
    if event.kind not in INDEXED_EVENTS or event.post_id is None:
        return
    from monoboard.search import backend

    # index_post re-reads the post: a deleted, hidden or merged post leaves the index.
    backend().index_post(event.post_id)


def connect() -> None:
    subscribe(on_event)
