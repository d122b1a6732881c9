"""Reads of the event log for streams, each one indexed range scan.

Only the streamed kinds are read; ids are in commit order (see
``monoboard.core.models``), so ``id > last_seen`` never skips an event.
"""

from __future__ import annotations

from django.db.models import QuerySet

from monoboard.boards.models import Post
from monoboard.core.events import latest_event_id, log_alias
from monoboard.core.models import Event
from monoboard.realtime.services import STREAMED

BATCH = 500


__all__ = ["latest_event_id", "live_events_after", "replay_events"]


#: The board's access rules (boards/access.py) that the stream's checks read.
BOARD_RULE_FIELDS = ("allowed_email_domains", "sso_only", "allowed_roles", "allowed_plans")


def _streamed() -> QuerySet[Event]:
    return Event.objects.using(log_alias(write=False)).filter(kind__in=list(STREAMED))


def _with_posts(rows: list[Event]) -> list[tuple[Event, Post | None]]:
    """Attach each row's post (with its board) in one query, for access checks."""
    post_ids = {row.post_id for row in rows if row.post_id is not None}
    posts = Post.objects.select_related("board").only(
        "id",
        "board__id",
        "board__is_private",
        *(f"board__{name}" for name in BOARD_RULE_FIELDS),
        "hidden_at",
        "author_id",
        "merged_into_id",
    )
    by_id = {post.pk: post for post in posts.filter(pk__in=post_ids)} if post_ids else {}
    return [(row, by_id.get(row.post_id) if row.post_id is not None else None) for row in rows]


def live_events_after(last_seen: int, *, limit: int = BATCH) -> list[tuple[Event, Post | None]]:
    """Rows appended since ``last_seen`` (all boards), oldest first."""
    rows = list(_streamed().filter(id__gt=last_seen).order_by("id")[:limit])
    return _with_posts(rows)


def replay_events(
    after_id: int, *, board_id: int | None = None, post_id: int | None = None, limit: int = BATCH
) -> list[tuple[Event, Post | None]]:
    """What a reconnecting stream missed, oldest first; at most ``limit`` rows."""
    scope = {"post_id": post_id} if post_id is not None else {"board_id": board_id}
    rows = _streamed().filter(id__gt=after_id, **scope)
    return _with_posts(list(rows.order_by("id")[:limit]))
