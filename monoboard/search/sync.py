"""Keeps the search index in step with posts: a consumer of the event log.

The jobs worker runs this consumer moments after each write commits (woken
by NOTIFY on PostgreSQL, polling on SQLite), in the transaction that moves
its position in the log, so an index update is never lost to a crash and
never slows the request that made the change. ``manage.py reindex`` rebuilds
the whole index when needed.
"""

from __future__ import annotations

import logging

from monoboard.core.events import DomainEvent, batch_consumer

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


#: The consumer's name in the log (its position says how far the index has read).
INDEX_CONSUMER = "search.index"


@batch_consumer(INDEX_CONSUMER, INDEXED_EVENTS)
def on_events(events: list[DomainEvent]) -> None:
    """Re-index each post the batch touched, once, in one index update."""
    post_ids = sorted({event.post_id for event in events if event.post_id is not None})
    if not post_ids:
        return
    from monoboard.search import backend

    # index_posts re-reads the posts: a deleted, hidden or merged post leaves the index.
    backend().index_posts(post_ids)
