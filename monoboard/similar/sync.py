"""Keeps post vectors in step with titles: the ``similar.vectors`` consumer.

The jobs worker runs it moments after a post is created or edited, in the
transaction that moves its position in the event log, so a vector is never
lost to a crash and never slows the request. A deleted post's vector goes
with it (foreign key cascade). ``manage.py embedposts`` fills in posts that
have none (a site that existed before this consumer, or a new model version).
"""

from __future__ import annotations

from monoboard.core.events import DomainEvent, batch_consumer

#: Events after which a post's title, board or listing may be new or changed.
EMBEDDED_EVENTS = frozenset(
    {
        "post.created",
        "post.updated",
        "post.hidden",
        "post.unhidden",
        "post.merged",
        "post.unmerged",
    }
)


@batch_consumer("similar.vectors", EMBEDDED_EVENTS)
def on_events(events: list[DomainEvent]) -> None:
    post_ids = {event.post_id for event in events if event.post_id is not None}
    if post_ids:
        from monoboard.similar import services

        services.vectors_refresh(post_ids)
