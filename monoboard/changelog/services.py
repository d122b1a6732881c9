"""Every write to the changelog: entries, their links and images, publication.

Each writing function checks that the actor is an admin, validates, and
writes in one transaction whose last write is the domain event
(``changelog.created``, ``changelog.updated``, ``changelog.scheduled``,
``changelog.published``, ``changelog.deleted``). Publishing may move the
linked posts to a "shipped" status through ``boards.services.post_set_status``,
so the usual ``post.status_changed`` events fire; those carry
``announced_in`` so that the per-post status email is left to the entry's
own announcement, which tells each follower once.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from monoboard.boards import access, files
from monoboard.boards import services as boards
from monoboard.boards.models import Post, Status
from monoboard.changelog import images
from monoboard.changelog.models import Entry, EntryImage, EntryPost, EntryState
from monoboard.core.events import DomainEvent, emit
from monoboard.jobs.enqueue import enqueue_on_commit
from monoboard.lib.markdown import render_markdown

if TYPE_CHECKING:
    from monoboard.accounts.models import User

TITLE_MIN, TITLE_MAX = 3, 160
BODY_MAX = 50_000
POSTS_MAX = 50
IMAGES_MAX = 12


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN:
        raise ValidationError(
            {"title": f"Give the entry a title of at least {TITLE_MIN} characters."}
        )
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title under {TITLE_MAX} characters."})
    return title


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"Keep the text under {BODY_MAX} characters."})
    return body


def _clean_post_ids(post_ids: Iterable[int]) -> list[int]:
    """The posts to link, in the order given, each once; every one must exist."""
    ids = list(dict.fromkeys(int(pid) for pid in post_ids))
    if len(ids) > POSTS_MAX:
        raise ValidationError({"post_ids": f"Link at most {POSTS_MAX} posts to one entry."})
    found = set(Post.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pid for pid in ids if pid not in found]
    if missing:
        names = ", ".join(f"#{pid}" for pid in missing)
        raise ValidationError({"post_ids": f"No such post: {names}."})
    return ids


def _clean_status(status_id: int | None, mark_shipped: bool) -> Status | None:
    if status_id is None:
        return default_shipped_status() if mark_shipped else None
    status = Status.objects.filter(pk=status_id).first()
    if status is None:
        raise ValidationError({"shipped_status_id": "No such status."})
    return status


def default_shipped_status() -> Status | None:
    """``Done`` when it exists, else the first closed status on the roadmap, else any closed."""
    return (
        Status.objects.filter(slug="done").first()
        or Status.objects.filter(is_closed=True, on_roadmap=True).first()
        or Status.objects.filter(is_closed=True).first()
    )


def _event(kind: str, entry: Entry, actor: User | None, **data: object) -> None:
    emit(
        DomainEvent(
            kind=kind,
            actor_id=actor.pk if actor else None,
            data={"entry_id": entry.pk, **data},
        )
    )


def _set_links(entry: Entry, post_ids: list[int]) -> None:
    EntryPost.objects.filter(entry=entry).exclude(post_id__in=post_ids).delete()
    have = set(EntryPost.objects.filter(entry=entry).values_list("post_id", flat=True))
    EntryPost.objects.bulk_create(
        EntryPost(entry=entry, post_id=pid, position=i)
        for i, pid in enumerate(post_ids)
        if pid not in have
    )
    for i, pid in enumerate(post_ids):
        if pid in have:
            EntryPost.objects.filter(entry=entry, post_id=pid).update(position=i)


def _stage(uploads: Sequence[File[Any]], existing: int) -> list[images.Staged]:
    """Check and store images with the attachment checks (all of them or none)."""
    if existing + len(uploads) > IMAGES_MAX:
        raise ValidationError(
            {"images": f"An entry can have at most {IMAGES_MAX} images; remove some first."}
        )
    return images.stage(uploads)


def _attach(entry: Entry, staged: list[images.Staged], uploader: User) -> list[EntryImage]:
    return EntryImage.objects.bulk_create(
        EntryImage(
            key=secrets.token_urlsafe(16),
            entry=entry,
            uploader=uploader,
            file_name=s.file_name,
            content_type=s.content_type,
            original_name=s.original_name,
            size=s.size,
            width=s.width,
            height=s.height,
        )
        for s in staged
    )


def entry_create(
    *,
    actor: User,
    title: str,
    body: str = "",
    post_ids: Iterable[int] = (),
    mark_shipped: bool = False,
    shipped_status_id: int | None = None,
    uploads: Sequence[File[Any]] = (),
) -> Entry:
    """A new draft."""
    access.require_admin(actor)
    title, body = _clean_title(title), _clean_body(body)
    ids = _clean_post_ids(post_ids)
    status = _clean_status(shipped_status_id, mark_shipped)
    staged = _stage(uploads, 0)
    try:
        return _entry_create(
            actor=actor, title=title, body=body, ids=ids, mark_shipped=mark_shipped,
            status=status, staged=staged,
        )  # fmt: skip
    except BaseException:
        files.remove(s.file_name for s in staged)
        raise


@transaction.atomic
def _entry_create(
    *,
    actor: User,
    title: str,
    body: str,
    ids: list[int],
    mark_shipped: bool,
    status: Status | None,
    staged: list[images.Staged],
) -> Entry:
    now = timezone.now()
    entry = Entry.objects.create(
        title=title,
        slug=slugify(title)[:80].strip("-") or "entry",
        body=body,
        body_html=render_markdown(body),
        mark_shipped=mark_shipped,
        shipped_status=status,
        author=actor,
        created_at=now,
        updated_at=now,
    )
    _set_links(entry, ids)
    _attach(entry, staged, actor)
    _event("changelog.created", entry, actor)
    return entry


def entry_update(
    *,
    actor: User,
    entry: Entry,
    title: str,
    body: str,
    post_ids: Iterable[int] | None = None,
    mark_shipped: bool | None = None,
    shipped_status_id: int | None = None,
    uploads: Sequence[File[Any]] = (),
) -> Entry:
    """Edit an entry. A published entry keeps its links: its announcement went out."""
    access.require_admin(actor)
    title, body = _clean_title(title), _clean_body(body)
    ids = None if post_ids is None else _clean_post_ids(post_ids)
    shipped = entry.mark_shipped if mark_shipped is None else mark_shipped
    status = (
        _clean_status(shipped_status_id, shipped)
        if shipped_status_id is not None or mark_shipped is not None
        else entry.shipped_status
    )
    staged = _stage(uploads, EntryImage.objects.filter(entry=entry).count())
    try:
        return _entry_update(
            actor=actor, entry=entry, title=title, body=body, ids=ids, mark_shipped=shipped,
            status=status, staged=staged,
        )  # fmt: skip
    except BaseException:
        files.remove(s.file_name for s in staged)
        raise


def _lock(entry: Entry) -> Entry:
    locked = Entry.objects.select_for_update().filter(pk=entry.pk).first()
    if locked is None:
        raise ValidationError({"entry": "This entry no longer exists."})
    return locked


@transaction.atomic
def _entry_update(
    *,
    actor: User,
    entry: Entry,
    title: str,
    body: str,
    ids: list[int] | None,
    mark_shipped: bool,
    status: Status | None,
    staged: list[images.Staged],
) -> Entry:
    locked = _lock(entry)
    published = locked.state == EntryState.PUBLISHED
    if published and ids is not None:
        current = list(locked.links.values_list("post_id", flat=True))
        if ids != current:
            raise ValidationError(
                {"post_ids": "This entry is published: its linked posts were announced already."}
            )
    locked.title, locked.body, locked.body_html = title, body, render_markdown(body)
    locked.slug = slugify(title)[:80].strip("-") or "entry"
    if not published:
        locked.mark_shipped, locked.shipped_status = mark_shipped, status
    locked.updated_at = timezone.now()
    locked.save()
    if ids is not None and not published:
        _set_links(locked, ids)
    _attach(locked, staged, actor)
    _event("changelog.updated", locked, actor)
    return locked


@transaction.atomic
def entry_image_delete(*, actor: User, image: EntryImage) -> None:
    """Remove one image from its entry; its file is deleted by a job after commit."""
    from monoboard.changelog.tasks import purge_images

    access.require_admin(actor)
    entry_id = image.entry_id
    EntryImage.objects.filter(pk=image.pk).update(entry=None)
    enqueue_on_commit(purge_images, [int(image.pk)])
    emit(DomainEvent(kind="changelog.updated", actor_id=actor.pk, data={"entry_id": entry_id}))


@transaction.atomic
def entry_delete(*, actor: User, entry: Entry) -> None:
    from monoboard.changelog.tasks import purge_images

    access.require_admin(actor)
    locked = _lock(entry)
    image_ids = list(EntryImage.objects.filter(entry=locked).values_list("pk", flat=True))
    EntryImage.objects.filter(pk__in=image_ids).update(entry=None)
    if image_ids:
        enqueue_on_commit(purge_images, [int(i) for i in image_ids])
    entry_id = locked.pk
    locked.delete()
    emit(DomainEvent(kind="changelog.deleted", actor_id=actor.pk, data={"entry_id": entry_id}))


def images_purge(*, image_ids: Iterable[int]) -> int:
    """Delete the files and rows of detached images (the body of ``purge_images``)."""
    rows = list(EntryImage.objects.filter(pk__in=list(image_ids), entry__isnull=True))
    files.remove(r.file_name for r in rows)
    EntryImage.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def images_prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The hourly sweep: detached images whose purge never ran, and stored files
    with no row (an upload whose write never committed), once older than
    ``ATTACHMENT_ORPHAN_HOURS``, so an upload still on its way is never touched."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=settings.ATTACHMENT_ORPHAN_HOURS)
    detached = EntryImage.objects.filter(entry__isnull=True, created_at__lt=cutoff)
    rows = images_purge(image_ids=list(detached.values_list("pk", flat=True)))
    names = list(images.listed())
    used = set(EntryImage.objects.filter(file_name__in=names).values_list("file_name", flat=True))
    stray = files.remove(images.stray(names, used, cutoff))
    return {"detached": rows, "stray_files": stray}


# --- Publication ------------------------------------------------------------------


@transaction.atomic
def entry_schedule(*, actor: User, entry: Entry, at: datetime.datetime) -> Entry:
    """Publish at ``at`` (a job runs then); an earlier schedule's job finds nothing due."""
    from monoboard.changelog.tasks import publish_scheduled

    access.require_admin(actor)
    if timezone.is_naive(at):
        raise ValidationError({"at": "Give the time with its time zone."})
    if at <= timezone.now():
        raise ValidationError({"at": "Choose a time in the future, or publish now."})
    locked = _lock(entry)
    if locked.state == EntryState.PUBLISHED:
        raise ValidationError({"entry": "This entry is published already."})
    locked.state, locked.scheduled_at, locked.published_by = EntryState.SCHEDULED, at, actor
    locked.updated_at = timezone.now()
    locked.save(update_fields=["state", "scheduled_at", "published_by", "updated_at"])
    enqueue_on_commit(publish_scheduled.using(run_after=at), int(locked.pk))
    _event("changelog.scheduled", locked, actor, at=at.isoformat())
    return locked


@transaction.atomic
def entry_unschedule(*, actor: User, entry: Entry) -> Entry:
    """Back to a draft; the scheduled job then finds nothing to do."""
    access.require_admin(actor)
    locked = _lock(entry)
    if locked.state != EntryState.SCHEDULED:
        raise ValidationError({"entry": "This entry is not scheduled."})
    locked.state, locked.scheduled_at = EntryState.DRAFT, None
    locked.updated_at = timezone.now()
    locked.save(update_fields=["state", "scheduled_at", "updated_at"])
    _event("changelog.updated", locked, actor)
    return locked


@transaction.atomic
def entry_publish(*, actor: User, entry: Entry) -> Entry:
    """Publish now."""
    access.require_admin(actor)
    locked = _lock(entry)
    if locked.state == EntryState.PUBLISHED:
        raise ValidationError({"entry": "This entry is published already."})
    return _publish(locked, actor)


@transaction.atomic
def entry_publish_due(*, entry_id: int, now: datetime.datetime | None = None) -> bool:
    """Publish a scheduled entry whose time has come; the body of ``publish_scheduled``.

    Safe to run any number of times, in several workers at once: the entry's
    row is locked and its state read under the lock, so it is published once.
    A job for a schedule that was moved or cancelled finds nothing due.
    """
    locked = Entry.objects.select_for_update().filter(pk=entry_id).first()
    if locked is None or locked.state != EntryState.SCHEDULED or locked.scheduled_at is None:
        return False
    if locked.scheduled_at > (now or timezone.now()):
        return False
    actor = locked.published_by or locked.author
    if actor is None or not access.is_admin(actor):
        # Whoever scheduled it may no longer publish: it stays scheduled, and
        # an admin's "Publish now" (or a new schedule) takes it from here.
        return False
    _publish(locked, actor)
    return True


def _publish(entry: Entry, actor: User) -> Entry:
    """Mark the linked posts shipped (if asked), then publish; the caller holds the entry's lock."""
    post_ids = list(entry.links.values_list("post_id", flat=True))
    changed: list[int] = []
    # The chosen status, or the default one if the chosen status was deleted since.
    status = (entry.shipped_status or default_shipped_status()) if entry.mark_shipped else None
    if status is not None and post_ids:
        # Every row post_set_status will lock is locked here first, in its
        # order (the status, then the posts), so nothing is waited for after
        # the first status event is written.
        if not Status.objects.select_for_update().filter(pk=status.pk).exists():
            raise ValidationError({"shipped_status_id": "That status no longer exists."})
        posts = list(Post.objects.select_for_update().filter(pk__in=post_ids).order_by("pk"))
        for post in posts:
            if post.status_id == status.pk:
                continue
            boards.post_set_status(
                post=post,
                actor=actor,
                status=status,
                note=f"Shipped in “{entry.title}”.",
                announced_in=entry.pk,
            )
            changed.append(post.pk)
    now = timezone.now()
    entry.state, entry.published_at, entry.published_by = EntryState.PUBLISHED, now, actor
    entry.scheduled_at = None
    entry.updated_at = now
    entry.save(
        update_fields=["state", "published_at", "published_by", "scheduled_at", "updated_at"]
    )
    _event(
        "changelog.published",
        entry,
        actor,
        title=entry.title,
        slug=entry.slug,
        post_ids=post_ids,
        shipped_post_ids=changed,
        published_at=now.isoformat(),
    )
    return entry
