"""Changelog entries: what shipped, written by admins, linked to the posts it delivers."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from monoboard.boards.models import Post, Status


class EntryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Entry(models.Model):
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=EntryState.choices, default=EntryState.DRAFT)
    #: When a scheduled entry is due; the ``publish_scheduled`` job runs then.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    #: Publishing moves the linked posts to ``shipped_status`` when set.
    mark_shipped = models.BooleanField(default=False)
    shipped_status = models.ForeignKey(
        Status, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    #: The admin who asked for publication (now or scheduled); status changes are theirs.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posts = models.ManyToManyField(Post, through="EntryPost", related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "entries"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["-published_at", "-id"],
                name="changelog_published",
                condition=Q(state="published"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EntryPost(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="links")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="changelog_links")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["entry", "post"], name="changelog_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} -> {self.post_id}"


class EntryImage(models.Model):
    """An image in an entry, checked and re-encoded like post attachments (boards/images.py).

    ``entry`` is cleared when the entry is deleted; a detached image is never
    served and its file is removed by the purge job.
    """

    key = models.CharField(max_length=32, unique=True)
    entry = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return self.key
