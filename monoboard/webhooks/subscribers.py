"""Turn events from the log into webhook deliveries: a consumer of the event log.

Deliveries (and their jobs) are written in the consumer's transaction, so each
event becomes exactly one delivery per endpoint, even across a crash.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from monoboard.boards.models import Comment, Post
from monoboard.core.events import DomainEvent, batch_consumer
from monoboard.webhooks import services


def _webhook_kind(event: DomainEvent) -> str | None:
    if event.kind == "vote.toggled":
        return "vote.created" if event.data.get("voted") else None
    if event.kind in ("post.created", "post.status_changed", "comment.created"):
        return event.kind
    if event.kind == "changelog.published":
        return event.kind
    return None


def _post(post: Post) -> dict[str, Any]:
    return {
        "id": post.pk,
        "title": post.title,
        "board": post.board.slug,
        "status": post.status.name,
        "vote_count": post.vote_count,
        "url": f"{settings.SITE_URL}/b/{post.board.slug}/p/{post.pk}/",
        # Receivers that publish what they get can leave out what visitors
        # may not see: posts on members-only boards, hidden posts.
        "visibility": "public" if _is_public(post) else "members",
        "board_private": post.board.is_private,
        "hidden": post.hidden_at is not None,
    }


def _is_public(post: Post) -> bool:
    return post.board.is_public and post.hidden_at is None and post.merged_into_id is None


def payload_for(kind: str, event: DomainEvent, post: Post) -> dict[str, Any]:
    data: dict[str, Any] = {"post": _post(post), "actor_id": event.actor_id}
    if kind == "post.status_changed":
        data["status"] = {"id": event.data.get("status_id"), "name": event.data.get("status")}
        data["note"] = event.data.get("note", "")
    elif kind == "comment.created":
        comment = Comment.objects.filter(pk=int(event.data.get("comment_id") or 0)).first()
        if comment is not None:
            data["comment"] = {
                "id": comment.pk,
                "body": comment.body,
                "official": comment.is_official,
            }
    elif kind == "vote.created":
        data["vote_count"] = event.data.get("vote_count")
    return {"event": kind, "created_at": timezone.now().isoformat(), "data": data}


def changelog_payload(event: DomainEvent) -> dict[str, Any]:
    """A published changelog entry and the posts it delivers (each with its visibility)."""
    ids = [int(pid) for pid in event.data.get("post_ids", [])]
    found = Post.objects.select_related("board", "status").in_bulk(ids)
    entry_id = event.data.get("entry_id")
    data: dict[str, Any] = {
        "actor_id": event.actor_id,
        "entry": {
            "id": entry_id,
            "title": event.data.get("title", ""),
            "published_at": event.data.get("published_at"),
            "url": f"{settings.SITE_URL}/changelog/{entry_id}/{event.data.get('slug', '')}/",
        },
        "posts": [_post(found[pid]) for pid in ids if pid in found],
        "shipped_post_ids": list(event.data.get("shipped_post_ids", [])),
    }
    return {"event": "changelog.published", "created_at": timezone.now().isoformat(), "data": data}


@batch_consumer(
    "webhooks.deliveries",
    frozenset(
        {
            "vote.toggled",
            "post.created",
            "post.status_changed",
            "comment.created",
            "changelog.published",
        }
    ),
)
def on_domain_events(events: list[DomainEvent]) -> None:
    """A delivery per endpoint that wants each event; one look at the endpoints per batch."""
    endpoints = services.active_endpoints()
    wanted = {kind for endpoint in endpoints for kind in endpoint.events}
    for event in events:
        kind = _webhook_kind(event)
        if kind is None or kind not in wanted:
            continue  # no endpoint wants it: not even the post is read
        if kind == "changelog.published":
            services.deliveries_create(kind, changelog_payload(event), endpoints)
            continue
        if event.post_id is None:
            continue
        post = Post.objects.select_related("board", "status").filter(pk=event.post_id).first()
        if post is None:
            continue
        services.deliveries_create(kind, payload_for(kind, event, post), endpoints)
