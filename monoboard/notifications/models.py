"""Who follows what, how they want to hear about it, and what was sent.

Subscribers of a post are computed when a notification is sent (author,
voters, commenters), with :class:`Subscription` rows as explicit follow or
unfollow overrides, so unfollowing a post you voted on sticks.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from monoboard.boards.models import Post


class Kind(models.TextChoices):
    STATUS_CHANGED = "status_changed", "Status changes"
    COMMENT = "comment", "New comments"
    OFFICIAL_RESPONSE = "official_response", "Official responses"


class Delivery(models.TextChoices):
    INSTANT = "instant", "Email me right away"
    DIGEST = "digest", "Daily digest"
    NONE = "none", "No email"


class Preference(models.Model):
    """How one user wants email for one kind; no row means instant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.INSTANT)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class Subscription(models.Model):
    """An explicit follow (following=True) or unfollow (False) of a post."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    following = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["post", "user"], name="notif_sub_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "post"], name="notif_sub_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {'follows' if self.following else 'unfollowed'} {self.post_id}"


class Notification(models.Model):
    """One in-app notification; also the item a daily digest is built from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # What caused it ("comment:12", "status:7"): a fan-out job that runs
    # twice skips the people it already told.
    event_key = models.CharField(max_length=40, blank=True)
    # True while the item waits for the user's next daily digest email.
    digest_pending = models.BooleanField(default=False)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notif_user_unread"),
            models.Index(fields=["user", "-created_at"], name="notif_user_recent"),
            models.Index(fields=["event_key", "user"], name="notif_event"),
            models.Index(
                fields=["user", "created_at"],
                name="notif_digest_pending",
                condition=Q(digest_pending=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text[:40]}"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    #: Not sent: when its turn came the recipient could no longer see the post.
    WITHHELD = "withheld", "Withheld"


class OutboxEmail(models.Model):
    """One email to one recipient. Only the outbox job sends; requests only add rows."""

    recipient = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    #: The posts the email is about, checked again when it is sent; a digest
    #: also keeps its notifications, so it can be rebuilt without a post.
    post_ids: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    notification_ids: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["-created_at"], name="outbox_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject} ({self.state})"
