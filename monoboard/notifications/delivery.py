"""The work the notification jobs do: fan-out, draining the outbox, digests.

Every email about posts is checked again when the outbox sends it: a
recipient who may no longer see a post (hidden, deleted, its board made
members-only) is told nothing about it (see ``_as_sendable``).

Each function is safe to run twice or in two workers at once: fan-out skips
people already told about the same event, the outbox claims each row with a
conditional UPDATE before sending it, and digests claim their items the same
way.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Comment, Post, SiteSettings
from monoboard.notifications import links, mime, selectors, services
from monoboard.notifications.models import (
    Delivery,
    Kind,
    Notification,
    OutboxEmail,
    OutboxState,
)

logger = logging.getLogger(__name__)

#: Domain events that notify subscribers.
EVENT_KINDS = ("post.status_changed", "comment.created")


@dataclass(frozen=True)
class Message:
    kind: str
    event_key: str
    text: str
    detail: str


def _message(
    event_kind: str, post: Post, actor: User | None, data: dict[str, Any]
) -> Message | None:
    who = actor.display_name if actor else "Someone"
    if event_kind == "post.status_changed":
        if data.get("announced_in"):
            return None  # a changelog entry's announcement tells them, once
        status = str(data.get("status", post.status.name))
        key = f"status:{data.get('change_id', '')}:{status}"
        text = f"{who} changed “{post.title}” to {status}."
        return Message(Kind.STATUS_CHANGED, key[:40], text, str(data.get("note", "")))
    if event_kind == "comment.created":
        comment_id = int(data.get("comment_id") or 0)
        comment = Comment.objects.filter(pk=comment_id, deleted_at__isnull=True).first()
        if comment is None:
            return None
        if comment.is_official:
            text = f"{who} posted an official response on “{post.title}”."
            return Message(Kind.OFFICIAL_RESPONSE, f"comment:{comment.pk}", text, comment.body)
        text = f"{who} commented on “{post.title}”."
        return Message(Kind.COMMENT, f"comment:{comment.pk}", text, comment.body)
    return None


def _unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _site_context() -> dict[str, Any]:
    """What every email shows of the site; read once per batch of emails."""
    return {
        "site_name": SiteSettings.load().site_name,
        "preferences_url": links.absolute(reverse("notifications:preferences")),
    }


def _email_context(user: User, unsubscribe_url: str, site: dict[str, Any]) -> dict[str, Any]:
    return site | {"user": user, "unsubscribe_url": unsubscribe_url}


def fan_out(event_kind: str, post_id: int, actor_id: int | None, data: dict[str, Any]) -> int:
    """Tell every subscriber of the post about one event. Returns how many were told."""
    post = Post.objects.select_related("board", "status").filter(pk=post_id).first()
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    if post is None:
        return 0
    message = _message(event_kind, post, actor, data)
    if message is None:
        return 0
    already = set(
        Notification.objects.filter(event_key=message.event_key, post=post).values_list(
            "user_id", flat=True
        )
    )
    recipients = [
        u for u in selectors.subscribers(post, exclude_id=actor_id) if u.pk not in already
    ]
    post_url = links.absolute(links.post_path(post))
    deliveries = selectors.deliveries_for([u.pk for u in recipients], message.kind)
    notifications = [
        Notification(
            user=user,
            kind=message.kind,
            post=post,
            actor=actor,
            text=message.text,
            event_key=message.event_key,
            digest_pending=deliveries[user.pk] == Delivery.DIGEST,
        )
        for user in recipients
    ]
    instant = [user for user in recipients if deliveries[user.pk] == Delivery.INSTANT]
    emails = _instant_emails(instant, post, post_url, message, _site_context())
    # Everything is rendered before the transaction opens: on SQLite it holds
    # the one write lock that every vote and comment on the site waits for.
    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        services.outbox_add_many(emails)  # one outbox run for the whole batch
    return len(recipients)


#: Stand-ins for what differs per recipient, put in when a batch's templates
#: are rendered once and replaced for each recipient afterwards.
_NAME = "\x1bmonoboard-recipient-name\x1b"
_UNSUBSCRIBE = "\x1bmonoboard-unsubscribe-url\x1b"
_STAND_INS = re.compile(f"{_NAME}|{_UNSUBSCRIBE}")


def _instant_emails(
    users: list[User], post: Post, post_url: str, message: Message, site: dict[str, Any]
) -> list[OutboxEmail]:
    """Every instant email of one event, its two templates rendered once for all.

    The templates are rendered with stand-ins for the recipient's name and
    unsubscribe link, which each email then gets replaced by its own (HTML
    escaped in the HTML body). The first email is also rendered in full and
    compared: a template that does anything else with the recipient makes
    every email render on its own, as before.
    """
    if not users:
        return []
    shared = {
        "message": message,
        "kind_label": Kind(message.kind).label,
        "post": post,
        "post_url": post_url,
    }
    urls = links.unsubscribe_urls([int(user.pk) for user in users], message.kind)
    batch = _render_event(site | shared | {"user_name": _NAME, "unsubscribe_url": _UNSUBSCRIBE})

    def render(user: User) -> tuple[str, str]:
        context = _email_context(user, urls[int(user.pk)], site) | shared
        return _render_event(context | {"user_name": user.display_name})

    def fill(user: User) -> tuple[str, str]:
        plain = {_NAME: user.display_name, _UNSUBSCRIBE: urls[int(user.pk)]}
        html = {key: escape(value) for key, value in plain.items()}
        return (
            _STAND_INS.sub(lambda m: plain[m.group(0)], batch[0]),
            _STAND_INS.sub(lambda m: html[m.group(0)], batch[1]),
        )

    make = fill
    if fill(users[0]) != render(users[0]):
        logger.warning("event email templates vary per recipient: rendering each email")
        make = render
    subject = f"[{site['site_name']}] {message.text}"
    emails = []
    for user in users:
        body, html_body = make(user)
        emails.append(
            services.outbox_email(
                recipient=user.email,
                subject=subject,
                body=body,
                html_body=html_body,
                headers=_unsubscribe_headers(urls[int(user.pk)]),
                user=user,
                kind=message.kind,
                post_ids=[post.pk],
            )
        )
    return emails


def _render_event(context: dict[str, Any]) -> tuple[str, str]:
    return (
        render_to_string("notifications/email/event.txt", context),
        render_to_string("notifications/email/event.html", context),
    )


# --- Outbox -----------------------------------------------------------------


@dataclass(frozen=True)
class DrainResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    #: Not sent because the recipient may no longer see what they are about.
    withheld: int = 0


def _backoff(attempts: int) -> timedelta:
    """About when the job tries again (its retry policy uses the same settings)."""
    base = float(settings.NOTIFICATIONS_RETRY_BASE_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 24 * 3600))


def _message_id(email: OutboxEmail) -> str:
    """The same Message-ID on every try: a mail server that saw it drops a resend."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox.{email.pk}.{int(email.created_at.timestamp())}@{domain}>"


def _as_message(email: OutboxEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": _message_id(email), **dict(email.headers)}
    fast = mime.prepared(
        subject=email.subject,
        body=email.body,
        html_body=email.html_body,
        recipient=email.recipient,
        headers=headers,
    )
    if fast is not None:
        return fast
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        headers=headers,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message


class SendFailed(Exception):
    """The mail server refused or could not be reached; the job is retried."""


WAITING = (OutboxState.PENDING, OutboxState.SENDING)


def _claim(email_ids: list[int]) -> list[OutboxEmail]:
    """Move these emails to ``sending`` (one UPDATE) and return those that were waiting.

    A worker that dies mid-send leaves its emails in ``sending``; the job,
    recovered once that worker misses its heartbeats, claims them again, and
    each keeps its Message-ID, so a server that had already taken one can
    drop the copy. Emails already sent, withheld or failed are left alone.
    """
    emails = list(
        OutboxEmail.objects.select_related("user")
        .filter(pk__in=email_ids, state__in=WAITING)
        .order_by("pk")  # sent in the order they were queued
    )
    OutboxEmail.objects.filter(pk__in=[e.pk for e in emails], state__in=WAITING).update(
        state=OutboxState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    for email in emails:
        email.attempts += 1
        email.state = OutboxState.SENDING
    return emails


def _deliver(email: OutboxEmail, backend: BaseEmailBackend, posts: dict[int, Post]) -> str:
    """Send one claimed email: "sent", "withheld" or "failed"; SendFailed to retry."""
    sendable = _as_sendable(email, posts)
    if sendable is None:
        return "withheld"
    try:
        if backend.send_messages([_as_message(sendable)]) != 1:
            raise RuntimeError("the mail server accepted no recipient")
    except Exception as exc:  # any mailer error is recorded on the row
        if _record_failure(sendable, exc):
            return "failed"
        raise SendFailed(f"email {email.pk}: {exc}") from exc
    _mark_sent(int(email.pk))
    return "sent"


def _mark_sent(email_id: int) -> None:
    """Record one email as sent, the moment the server took it: one prepared UPDATE.

    Each email is recorded on its own, so a worker that dies mid-batch
    leaves at most the one email in flight to be sent again (with its
    Message-ID). The statement is written once; the ORM's per-call query
    building cost more than the write itself.
    """
    conn = connections[router.db_for_write(OutboxEmail)]
    sent_at = OutboxEmail._meta.get_field("sent_at").get_db_prep_value(timezone.now(), conn)
    with conn.cursor() as cursor:
        cursor.execute(_mark_sent_sql(conn.alias), [OutboxState.SENT.value, sent_at, email_id])


@functools.cache
def _mark_sent_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    return (
        f"UPDATE {qn(OutboxEmail._meta.db_table)} SET {qn('state')} = %s, "  # noqa: S608
        f"{qn('sent_at')} = %s, {qn('last_error')} = '' WHERE {qn('id')} = %s"
    )


def _posts_of(emails: list[OutboxEmail]) -> dict[int, Post]:
    """Every post these emails are about, with its board, in one query."""
    ids = {int(pid) for email in emails for pid in email.post_ids or []}
    return Post.objects.select_related("board").in_bulk(ids) if ids else {}


def send_one(email_id: int, *, mailer: BaseEmailBackend | None = None) -> str:
    """Send one outbox email; the body of its retry job. Idempotent.

    Returns "sent", "withheld", "failed" (attempts used up) or "done" (sent,
    withheld or failed before); raises :class:`SendFailed` to be retried.
    """
    emails = _claim([email_id])
    if not emails:
        return "done"
    backend = mailer or mailers.default
    try:
        return _deliver(emails[0], backend, _posts_of(emails))
    finally:
        if mailer is None:
            backend.close()


def send_batch(email_ids: list[int], *, retry_later: Callable[[int, int], None]) -> dict[str, int]:
    """Send these emails over one connection; the body of ``send_emails``.

    One query claims them and one reads the posts they are about, whatever
    their number. An email that fails is recorded on its row and passed to
    ``retry_later(email_id, attempts)`` (its own job, after a backoff).
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0, "withheld": 0, "done": 0}
    emails = _claim(email_ids)
    counts["done"] = len(set(email_ids)) - len(emails)
    if not emails:
        return counts
    posts = _posts_of(emails)
    mailer = mailers.default
    try:
        mailer.open()
    except Exception:  # each send below reconnects and records its own error
        mailer.close()
    try:
        for email in emails:
            try:
                counts[_deliver(email, mailer, posts)] += 1
            except SendFailed:
                mailer.close()  # a fresh connection for the next email
                counts["retrying"] += 1
                retry_later(int(email.pk), email.attempts)
    finally:
        mailer.close()
    return counts


def drain_outbox(*, limit: int | None = None) -> DrainResult:
    """Send now every email that is due, through :func:`send_batch` (tests, operators).

    Each email also has a job; this only saves waiting for it. A failed email
    stays pending for its job (or the next call) to retry.
    """
    due = list(
        OutboxEmail.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: limit or settings.NOTIFICATIONS_BATCH_SIZE]
    )
    if not due:
        return DrainResult()
    counts = send_batch(due, retry_later=lambda email_id, attempts: None)
    return DrainResult(
        sent=counts["sent"],
        retrying=counts["retrying"],
        failed=counts["failed"],
        withheld=counts["withheld"],
    )


WITHHELD_REASON = (
    "Not sent: the recipient may no longer see the post it is about"
    " (hidden, deleted, or on a members-only board)."
)


def _visible_post_ids(user: User | None, post_ids: list[int], posts: dict[int, Post]) -> set[int]:
    """Those of ``post_ids`` that ``user`` may see now; a deleted post is not seen."""
    if user is None or not post_ids:
        return set()
    return {pid for pid in post_ids if pid in posts and access.can_view_post(user, posts[pid])}


def _as_sendable(email: OutboxEmail, posts: dict[int, Post]) -> OutboxEmail | None:
    """The email as it may leave now, or None when it is withheld.

    An email names its posts (``post_ids``); each is checked against the
    recipient's access at send time, not when the email was queued. A digest
    is rebuilt from the items whose posts remain; any other email about a
    post the recipient may not see is withheld whole.
    """
    wanted = [int(pid) for pid in email.post_ids or []]
    if not wanted:
        return email
    if set(wanted) <= _visible_post_ids(email.user, wanted, posts):
        return email
    if email.kind == links.DIGEST and email.user is not None:
        items = list(
            Notification.objects.filter(pk__in=email.notification_ids, user=email.user).order_by(
                "created_at", "id"
            )
        )
        rebuilt = _digest_email(email.user, items)
        if rebuilt is not None:
            fields = ["subject", "body", "html_body", "headers", "post_ids", "notification_ids"]
            for name in fields:
                setattr(email, name, getattr(rebuilt, name))
            email.save(update_fields=fields)
            return email
    OutboxEmail.objects.filter(pk=email.pk).update(
        state=OutboxState.WITHHELD, last_error=WITHHELD_REASON
    )
    logger.info("email %s to %s withheld: %s", email.pk, email.recipient, WITHHELD_REASON)
    return None


def _record_failure(email: OutboxEmail, exc: Exception) -> bool:
    """Store the error; True when the email has used up its attempts."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    given_up = email.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    logger.warning(
        "email %s to %s failed (attempt %s): %s", email.pk, email.recipient, email.attempts, error
    )
    OutboxEmail.objects.filter(pk=email.pk).update(
        state=OutboxState.FAILED if given_up else OutboxState.PENDING,
        last_error=error,
        next_attempt_at=timezone.now() + _backoff(email.attempts),
    )
    return given_up


# --- Daily digest -----------------------------------------------------------


def send_digests() -> int:
    """One email per user gathering every item waiting for their digest."""
    user_ids = list(
        Notification.objects.filter(digest_pending=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    return sum(1 for uid in user_ids if _digest_for(uid))


@transaction.atomic
def _digest_for(user_id: int) -> bool:
    # Locking the rows (PostgreSQL) or holding SQLite's write lock makes a
    # second digest run wait, then find nothing pending.
    items = list(
        Notification.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, digest_pending=True)
        .order_by("created_at", "id")
    )
    if not items:
        return False
    Notification.objects.filter(pk__in=[n.pk for n in items]).update(digest_pending=False)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    wanted = {k for k, d in selectors.preferences(user_id).items() if d != Delivery.NONE}
    email = _digest_email(user, [n for n in items if n.kind in wanted])
    if email is None:
        return False
    services.outbox_add(email)
    return True


def _digest_email(user: User, items: list[Notification]) -> OutboxEmail | None:
    """The digest of ``items`` whose posts ``user`` may see now; None if none remain.

    Used when the digest is built and again when the outbox sends it.
    """
    posts = Post.objects.select_related("board").in_bulk({n.post_id for n in items if n.post_id})
    posts = {pid: p for pid, p in posts.items() if access.can_view_post(user, p)}
    # An item about a post that is gone or out of sight says nothing about it.
    items = [n for n in items if n.post_id is None or n.post_id in posts]
    if not items:
        return None
    groups: dict[int | None, list[Notification]] = {}
    for n in items:
        groups.setdefault(n.post_id, []).append(n)
    sections = [
        {
            "post": posts.get(pid) if pid else None,
            "post_url": links.absolute(links.post_path(posts[pid])) if pid in posts else "",
            "items": group,
        }
        for pid, group in groups.items()
    ]
    unsubscribe_url = links.unsubscribe_url(int(user.pk or 0), links.DIGEST)
    context = _email_context(user, unsubscribe_url, _site_context()) | {
        "sections": sections,
        "count": len(items),
    }
    noun = "update" if len(items) == 1 else "updates"
    return services.outbox_email(
        recipient=user.email,
        subject=f"[{context['site_name']}] Your daily digest: {len(items)} {noun}",
        body=render_to_string("notifications/email/digest.txt", context),
        html_body=render_to_string("notifications/email/digest.html", context),
        headers=_unsubscribe_headers(unsubscribe_url),
        user=user,
        kind=links.DIGEST,
        post_ids=sorted(posts),
        notification_ids=[n.pk for n in items],
    )
