"""Boards, posts and everything people attach to them.

Counters (votes, comments) and the trending score are stored on the post and
kept exact by the functions in services.py, so list pages never re-count.
Listing indexes are partial on ``is_listed`` (not hidden, not merged), which
is exactly the filter every public list applies.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

LISTED = Q(is_listed=True)


class SiteSettings(models.Model):
    """One row: what the site calls itself and how it looks."""

    site_name = models.CharField(max_length=80, default="monoboard")
    tagline = models.CharField(max_length=200, blank=True, default="Tell us what to build next.")
    # Branding: names in the default storage (re-encoded PNG and ICO), a
    # #rrggbb accent and the admins' own stylesheet (served as text/css).
    logo = models.CharField(max_length=200, blank=True, default="")
    favicon = models.CharField(max_length=200, blank=True, default="")
    accent_color = models.CharField(max_length=7, blank=True, default="")
    custom_css = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return self.site_name

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Status(models.Model):
    name = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    color = models.CharField(max_length=7, default="#6b7280")
    position = models.PositiveIntegerField(default=0)
    on_roadmap = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        verbose_name_plural = "statuses"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    color = models.CharField(max_length=7, default="#2563eb")
    is_demo = models.BooleanField(default=False, editable=False)  # made by `manage.py seed`

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Board(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_private = models.BooleanField(
        default=False, help_text="Members-only: hidden from visitors who are not signed in."
    )
    position = models.PositiveIntegerField(default=0)
    is_demo = models.BooleanField(default=False, editable=False)  # made by `manage.py seed`
    created_at = models.DateTimeField(default=timezone.now)
    # Access rules beyond public/private (boards/access.py). Each list is
    # comma-wrapped (",example.com,acme.io,") so one LIKE finds a member of it;
    # an empty list sets no rule. Any rule closes the board to visitors.
    allowed_email_domains = models.CharField(max_length=500, blank=True, default="")
    sso_only = models.BooleanField(
        default=False, help_text="Only people who came through single sign-on."
    )
    allowed_roles = models.CharField(max_length=500, blank=True, default="")
    allowed_plans = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_access_rules(self) -> bool:
        return bool(
            self.sso_only or self.allowed_email_domains or self.allowed_roles or self.allowed_plans
        )

    @property
    def is_public(self) -> bool:
        """Readable by visitors who are not signed in."""
        return not self.is_private and not self.has_access_rules


class Post(models.Model):
    # No single-column index: every list query is served by one of the
    # partial post_board_* indexes below, and a plain (board, id) index would
    # tie with post_board_new and win on SQLite while reading hidden rows.
    # post_board_created covers whole-board work (counts, cascade deletes).
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="posts", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="posts"
    )
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80, allow_unicode=False)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="posts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    vote_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)
    hot_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)  # made by `manage.py seed`
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_posts"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Derived from hidden_at and merged_into by services; stored so that the
    # listing indexes can be partial on one plain column.
    is_listed = models.BooleanField(default=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["board", "-hot_score", "-id"], name="post_board_trending", condition=LISTED
            ),
            models.Index(
                fields=["board", "-vote_count", "-id"], name="post_board_top", condition=LISTED
            ),
            models.Index(fields=["board", "-id"], name="post_board_new", condition=LISTED),
            models.Index(
                fields=["board", "status", "-hot_score", "-id"],
                name="post_status_trending",
                condition=LISTED,
            ),
            models.Index(
                fields=["board", "status", "-vote_count", "-id"],
                name="post_status_top",
                condition=LISTED,
            ),
            models.Index(
                fields=["board", "status", "-id"], name="post_status_new", condition=LISTED
            ),
            models.Index(
                fields=["status", "-vote_count", "-id"], name="post_roadmap", condition=LISTED
            ),
            models.Index(fields=["author", "-id"], name="post_author"),
            models.Index(fields=["board", "created_at"], name="post_board_created"),
        ]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a merge copied this vote from another post, so that undoing
    # the merge removes exactly the votes it added.
    origin_post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "post"], name="vote_once_per_user"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["post", "-created_at"], name="vote_post_recent"),
            models.Index(fields=["origin_post"], name="vote_origin"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.post_id}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    body = models.TextField()
    body_html = models.TextField()
    is_official = models.BooleanField(default=False)
    is_pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["post", "created_at"], name="comment_post_time"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class StatusChange(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="+", null=True)
    to_status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["post", "created_at"], name="statuschange_post_time"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.from_status_id} -> {self.to_status_id}"


class Attachment(models.Model):
    """An image on a post or on one of its comments, stored in ``STORAGES["default"]``.

    ``post`` is set for comment attachments too, so that one rule (can the
    viewer see this post?) decides who may fetch every file. Both links are
    cleared when the post is deleted or the comment is deleted: a detached
    attachment is never served, and its files are removed by a job.
    ``key`` is the random public name in URLs; ``file_name`` the random
    storage name, never shown.
    """

    key = models.CharField(max_length=32, unique=True)
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    thumb_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["post", "comment", "id"], name="attachment_post"),
            models.Index(fields=["comment"], name="attachment_comment"),
            models.Index(
                fields=["detached_at"],
                name="attachment_detached",
                condition=Q(detached_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key
