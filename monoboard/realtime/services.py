"""What the real-time stream shows of the durable event log.

The stream reads ``monoboard.core``'s event log directly: every event is
written in its writer's transaction and numbered in commit order, so a
stream that tails ``id > last_seen`` never misses one. Only the kinds below
are streamed, and of each only the keys listed: the log holds more (titles,
who did what) than a page needs to update itself.
"""

from __future__ import annotations

from typing import Any

#: The domain events pages show live, and the data keys each may carry.
STREAMED: dict[str, tuple[str, ...]] = {
    "vote.toggled": ("voted", "vote_count"),
    "comment.created": ("comment_id", "official"),
    "post.status_changed": ("status", "status_id", "note", "color"),
}


def streamed_payload(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``data`` a page may receive for an event of ``kind``."""
    return {key: data[key] for key in STREAMED.get(kind, ()) if key in data}
