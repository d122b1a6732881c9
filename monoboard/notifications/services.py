"""Writes for notifications made on behalf of people: preferences, follows,
read marks, unsubscribes, test emails and retries. Fan-out and sending are
jobs (see delivery.py and tasks.py); nothing here sends mail.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Post, SiteSettings
from monoboard.jobs import enqueue_many_on_commit, enqueue_on_commit
from monoboard.notifications import links, selectors
from monoboard.notifications.models import (
    Delivery,
    Kind,
    Notification,
    OutboxEmail,
    OutboxState,
    Preference,
    Subscription,
)


@transaction.atomic
def preferences_save(*, actor: User, choices: dict[str, str]) -> dict[str, str]:
    """Store a delivery choice per kind; unknown kinds or choices are refused."""
    access.require_member(actor)
    errors = {
        kind: "Choose instant, daily digest or none."
        for kind in Kind.values
        if kind in choices and choices[kind] not in Delivery.values
    }
    unknown = set(choices) - set(Kind.values)
    if unknown:
        errors["__all__"] = f"Unknown kind: {', '.join(sorted(unknown))}"
    if errors:
        raise ValidationError(errors)
    for kind, delivery in choices.items():
        Preference.objects.update_or_create(user=actor, kind=kind, defaults={"delivery": delivery})
    return dict(choices)


@transaction.atomic
def follow_set(*, actor: User, post: Post, following: bool) -> Subscription:
    """Follow or unfollow a post; the choice overrides votes and comments."""
    access.require_member(actor)
    if not access.can_view_post(actor, post):
        raise PermissionDenied("You cannot follow this post.")
    sub, _ = Subscription.objects.update_or_create(
        user=actor, post=post, defaults={"following": following, "updated_at": timezone.now()}
    )
    return sub


def notification_mark_read(*, actor: User, notification_id: int) -> bool:
    access.require_member(actor)
    updated = Notification.objects.filter(
        pk=notification_id, user=actor, read_at__isnull=True
    ).update(read_at=timezone.now())
    return updated == 1


def notifications_mark_all_read(*, actor: User) -> int:
    access.require_member(actor)
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[User, str]:
    """Turn off the email a signed link names. Raises ValidationError if tampered."""
    try:
        user_id, kind = links.read_unsubscribe_token(token)
    except signing.BadSignature as exc:
        raise ValidationError({"token": "This unsubscribe link is not valid."}) from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or kind not in (*Kind.values, links.DIGEST):
        raise ValidationError({"token": "This unsubscribe link is not valid."})
    if kind == links.DIGEST:
        kinds = [
            k
            for k, d in selectors.preferences(int(user.pk or 0)).items()
            if d == Delivery.DIGEST  # the digest stops; instant choices stay
        ]
    else:
        kinds = [kind]
    for k in kinds:
        Preference.objects.update_or_create(user=user, kind=k, defaults={"delivery": Delivery.NONE})
    return user, kind


def outbox_email(
    *,
    recipient: str,
    subject: str,
    body: str,
    html_body: str = "",
    headers: dict[str, str] | None = None,
    user: User | None = None,
    kind: str = "",
    post_ids: list[int] | None = None,
    notification_ids: list[int] | None = None,
) -> OutboxEmail:
    """An email ready to queue, not yet saved: see outbox_add() and outbox_add_many().

    ``post_ids`` names the posts the email is about: the outbox checks again,
    when it sends, that ``user`` may still see each of them.
    """
    return OutboxEmail(
        recipient=recipient,
        subject=subject[:250],
        body=body,
        html_body=html_body,
        headers=headers or {},
        user=user,
        kind=kind,
        post_ids=list(post_ids or []),
        notification_ids=list(notification_ids or []),
    )


def outbox_add(email: OutboxEmail) -> OutboxEmail:
    """Queue one email made by outbox_email(), with the job that sends it.

    The row and its job are written in the caller's transaction: the email
    exists exactly when the change it tells of does.
    """
    from monoboard.notifications.tasks import send_email

    email.save()
    enqueue_on_commit(send_email, int(email.pk))
    return email


#: Emails one ``send_emails`` job sends over one connection to the mail server.
EMAILS_PER_JOB = 50


def outbox_add_many(emails: list[OutboxEmail]) -> None:
    """Queue emails made by outbox_email(): one INSERT for the rows, one for their jobs."""
    if emails:
        created = OutboxEmail.objects.bulk_create(emails)
        _queue_sending([int(email.pk) for email in created])


def _queue_sending(email_ids: list[int]) -> None:
    """A ``send_emails`` job per EMAILS_PER_JOB emails, all in one INSERT."""
    from monoboard.notifications.tasks import send_emails

    chunks = [email_ids[i : i + EMAILS_PER_JOB] for i in range(0, len(email_ids), EMAILS_PER_JOB)]
    enqueue_many_on_commit(send_emails, [(chunk,) for chunk in chunks])


@transaction.atomic
def test_email_send(*, actor: User, address: str) -> OutboxEmail:
    access.require_admin(actor)
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"address": "Enter a valid email address."}) from exc
    site = SiteSettings.load().site_name
    return outbox_add(
        outbox_email(
            recipient=address,
            subject=f"[{site}] Test email",
            body=(
                f"This is a test email from {site} at {links.absolute('/')}.\n\n"
                f"Sent by {actor.display_name} from the notifications admin page. "
                "If it arrived, email delivery works."
            ),
            kind="test",
        )
    )


@transaction.atomic
def outbox_retry(*, actor: User, email_id: int | None = None) -> int:
    """Put failed emails (one, or all when no id) back in the queue now."""
    access.require_admin(actor)
    rows = OutboxEmail.objects.filter(state=OutboxState.FAILED)
    if email_id is not None:
        rows = rows.filter(pk=email_id)
    ids = list(rows.values_list("pk", flat=True))
    count = OutboxEmail.objects.filter(pk__in=ids, state=OutboxState.FAILED).update(
        state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    _queue_sending(ids)
    return count
