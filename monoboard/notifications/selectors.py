"""Reads for notifications: subscribers, preferences, the in-app list, the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, QuerySet

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Comment, Post, Vote
from monoboard.notifications.models import (
    Delivery,
    Kind,
    Notification,
    OutboxEmail,
    OutboxState,
    Preference,
    Subscription,
)

if TYPE_CHECKING:
    from monoboard.boards.access import Actor


def subscriber_ids(post: Post) -> set[int]:
    """Author, voters, commenters and followers, less anyone who unfollowed."""
    explicit = dict(Subscription.objects.filter(post=post).values_list("user_id", "following"))
    implicit: set[int] = set(Vote.objects.filter(post=post).values_list("user_id", flat=True))
    implicit.update(
        uid
        for uid in Comment.objects.filter(post=post, deleted_at__isnull=True).values_list(
            "author_id", flat=True
        )
        if uid is not None
    )
    if post.author_id is not None:
        implicit.add(post.author_id)
    ids = {uid for uid in implicit if explicit.get(uid, True)}
    ids.update(uid for uid, following in explicit.items() if following)
    return ids


def subscribers(post: Post, *, exclude_id: int | None) -> list[User]:
    """Active users who follow ``post`` and may still see it, never the actor."""
    ids = subscriber_ids(post)
    ids.discard(exclude_id or 0)
    users = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
    return [user for user in users if access.can_view_post(user, post)]


def is_following(user: Actor | None, post: Post) -> bool:
    """The same rule as subscriber_ids, for one person: at most three small lookups."""
    uid = access.member_id(user)
    if uid is None:
        return False
    explicit = (
        Subscription.objects.filter(post=post, user_id=uid)
        .values_list("following", flat=True)
        .first()
    )
    if explicit is not None:
        return explicit
    return (
        post.author_id == uid
        or Vote.objects.filter(post=post, user_id=uid).exists()
        or Comment.objects.filter(post=post, author_id=uid, deleted_at__isnull=True).exists()
    )


def preferences(user_id: int) -> dict[str, str]:
    """Every kind with the user's delivery choice (instant where none was saved)."""
    chosen = dict(Preference.objects.filter(user_id=user_id).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, Delivery.INSTANT) for kind in Kind.values}


def deliveries_for(user_ids: list[int], kind: str) -> dict[int, str]:
    """Each user's delivery choice for one kind, in one query."""
    chosen = dict(
        Preference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {uid: chosen.get(uid, Delivery.INSTANT) for uid in user_ids}


def unread_count(user_id: int) -> int:
    """One COUNT on the (user, read_at, -created_at) index."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def user_notifications(user_id: int, *, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(user_id=user_id)
        .select_related("actor", "post")
        .order_by("-created_at", "-id")[:limit]
    )


def user_notification(user_id: int, notification_id: int) -> Notification | None:
    return (
        Notification.objects.select_related("post", "post__board")
        .filter(user_id=user_id, pk=notification_id)
        .first()
    )


def outbox_recent(*, limit: int = 50) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.order_by("-created_at", "-id")[:limit])


def outbox_failed(*, limit: int = 50) -> list[OutboxEmail]:
    failed: QuerySet[OutboxEmail] = OutboxEmail.objects.filter(state=OutboxState.FAILED)
    return list(failed.order_by("-created_at", "-id")[:limit])


def outbox_counts() -> dict[str, int]:
    rows = OutboxEmail.objects.values_list("state").annotate(n=Count("id")).order_by()
    counts = dict.fromkeys(OutboxState.values, 0)
    counts.update(dict(rows))
    return counts


def mail_destination() -> dict[str, str]:
    """Where sent email goes: ``mode`` and, for file mode, the folder it is written to."""
    backend = settings.MAILERS["default"]
    path = str(backend.get("OPTIONS", {}).get("file_path", ""))
    return {"mode": settings.EMAIL_MODE, "folder": path}
