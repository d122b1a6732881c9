"""Reads of the event log, each one indexed range scan."""

from __future__ import annotations

from django.db.models import Max

from monoboard.boards.models import Post
from monoboard.realtime.models import Event

BATCH = 500


def latest_event_id() -> int:
    return int(Event.objects.aggregate(last=Max("id"))["last"] or 0)


def _with_posts(rows: list[Event]) -> list[tuple[Event, Post | None]]:
    """Attach each row's post (with its board) in one query, for access checks."""
    post_ids = {row.post_id for row in rows if row.post_id is not None}
    posts = Post.objects.select_related("board").only(
        "id", "board__id", "board__is_private", "hidden_at", "author_id", "merged_into_id"
    )
    by_id = {post.pk: post for post in posts.filter(pk__in=post_ids)} if post_ids else {}
    return [(row, by_id.get(row.post_id) if row.post_id is not None else None) for row in rows]


def live_events_after(last_seen: int, *, limit: int = BATCH) -> list[tuple[Event, Post | None]]:
    """Rows appended since ``last_seen`` (all boards), oldest first."""
    rows = list(Event.objects.filter(id__gt=last_seen).order_by("id")[:limit])
    return _with_posts(rows)


def replay_events(
    after_id: int, *, board_id: int | None = None, post_id: int | None = None, limit: int = BATCH
) -> list[tuple[Event, Post | None]]:
    """What a reconnecting stream missed, oldest first; at most ``limit`` rows."""
    scope = {"post_id": post_id} if post_id is not None else {"board_id": board_id}
    rows = Event.objects.filter(id__gt=after_id, **scope)
    return _with_posts(list(rows.order_by("id")[:limit]))
