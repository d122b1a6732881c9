"""Server-Sent Events wire format and what each viewer may see of an event."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.core.models import Event
from monoboard.realtime.services import streamed_payload

if TYPE_CHECKING:
    from monoboard.boards.access import Actor


def message(*, event_id: int, kind: str, data: dict[str, Any]) -> str:
    body = json.dumps(data, separators=(",", ":"))
    return f"id: {event_id}\nevent: {kind}\ndata: {body}\n\n"


def comment(text: str) -> str:
    return f": {text}\n\n"


def ready() -> str:
    """Sent once the stream is subscribed. No ``id:``, so Last-Event-ID stays."""
    return "event: ready\ndata: {}\n\n"


def retry(milliseconds: int) -> str:
    return f"retry: {milliseconds}\n\n"


def for_viewer(row: Event, post: Post | None, user: Actor) -> str | None:
    """The message ``user`` may receive for ``row``, or None if they may not see it.

    Visibility is decided now, with the post as it is now (a board made
    members-only, a hidden post), not as it was when the event happened.
    """
    if post is None or not access.can_view_post(user, post):
        return None
    mine = row.actor_id is not None and row.actor_id == access.member_id(user)
    data: dict[str, Any] = {"post_id": row.post_id, "board_id": row.board_id, "mine": mine}
    data.update(streamed_payload(row.kind, row.data))
    if not mine:
        data.pop("voted", None)  # whether *someone else* voted is theirs to know
    return message(event_id=row.id, kind=row.kind, data=data)
