"""Telling people that what they asked for shipped: the body of ``announce_entry``.

Everyone who follows at least one of a published entry's posts (author,
voters, commenters, followers, less those who unfollowed: the rule of
``notifications.selectors.subscriber_ids``) gets **one** notification for the
entry, however many of its posts they follow, as an instant email or in
their daily digest per their "Status changes" preference, with the same
one-click unsubscribe as every other email. Each person is told only about
the posts they may see. A rerun skips the people already told (the
notifications' ``event_key``), so a job run twice tells nobody twice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Post, SiteSettings
from monoboard.changelog.models import Entry, EntryState
from monoboard.notifications import links, selectors, services
from monoboard.notifications.models import Delivery, Kind, Notification, OutboxEmail

#: Shipping news follows the "Status changes" preference: it is the last status change.
KIND = Kind.STATUS_CHANGED


def event_key(entry_id: int) -> str:
    return f"changelog:{entry_id}"


def entry_path(entry: Entry) -> str:
    return reverse("changelog:entry", kwargs={"entry_id": entry.pk, "slug": entry.slug})


def _text(entry: Entry, posts: list[Post]) -> str:
    more = len(posts) - 1
    rest = f" and {more} more you follow" if more > 0 else ""
    return f"Shipped: “{posts[0].title}”{rest}, in “{entry.title}”."


def announce(entry_id: int, actor_id: int | None) -> int:
    """Notify every follower of the entry's posts once. Returns how many were told."""
    entry = Entry.objects.filter(pk=entry_id, state=EntryState.PUBLISHED).first()
    if entry is None:
        return 0
    posts = list(
        Post.objects.select_related("board", "status")
        .filter(changelog_links__entry=entry)
        .order_by("changelog_links__position", "pk")
    )
    followed: dict[int, list[Post]] = {}
    for post in posts:
        for uid in selectors.subscriber_ids(post):
            followed.setdefault(uid, []).append(post)
    followed.pop(actor_id or 0, None)
    key = event_key(entry.pk)
    already = set(
        Notification.objects.filter(event_key=key, user_id__in=list(followed)).values_list(
            "user_id", flat=True
        )
    )
    users = User.objects.filter(pk__in=[u for u in followed if u not in already], is_active=True)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    told: list[tuple[User, list[Post]]] = []
    for user in users.order_by("pk"):
        visible = [p for p in followed[user.pk] if access.can_view_post(user, p)]
        if visible:
            told.append((user, visible))
    deliveries = selectors.deliveries_for([u.pk for u, _ in told], KIND)
    notifications = [
        Notification(
            user=user,
            kind=KIND,
            post=visible[0],
            actor=actor,
            text=_text(entry, visible),
            event_key=key,
            digest_pending=deliveries[user.pk] == Delivery.DIGEST,
        )
        for user, visible in told
    ]
    site = {
        "site_name": SiteSettings.load().site_name,
        "preferences_url": links.absolute(reverse("notifications:preferences")),
    }
    entry_url = links.absolute(entry_path(entry))
    post_urls = {p.pk: links.absolute(links.post_path(p)) for p in posts}
    emails = [
        _email(user, entry, entry_url, [(p, post_urls[p.pk]) for p in visible], site)
        for user, visible in told
        if deliveries[user.pk] == Delivery.INSTANT
    ]
    # Rendered before the transaction: on SQLite it holds the site's write lock.
    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        services.outbox_add_many(emails)
    return len(told)


def _email(
    user: User,
    entry: Entry,
    entry_url: str,
    posts: list[tuple[Post, str]],
    site: dict[str, Any],
) -> OutboxEmail:
    unsubscribe_url = links.unsubscribe_url(int(user.pk), KIND)
    context = site | {
        "user": user,
        "unsubscribe_url": unsubscribe_url,
        "kind_label": KIND.label,
        "entry": entry,
        "entry_url": entry_url,
        "posts": posts,
    }
    return services.outbox_email(
        recipient=user.email,
        subject=f"[{site['site_name']}] {_text(entry, [p for p, _ in posts])}",
        body=render_to_string("changelog/email/published.txt", context),
        html_body=render_to_string("changelog/email/published.html", context),
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        user=user,
        kind=KIND,
        post_ids=[p.pk for p, _ in posts],
    )
