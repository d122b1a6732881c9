"""Reads for the changelog pages, the feed and the API.

Entries are public once published; drafts and scheduled entries are seen by
admins only. A linked post is shown only to those who may see it
(``boards.access.can_view_post``): a members-only board's post is neither
named nor linked for a visitor.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.changelog.models import Entry, EntryImage, EntryPost, EntryState
from monoboard.lib.cursor import BadCursor, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from monoboard.boards.access import Actor

PUBLISHED = Q(state=EntryState.PUBLISHED)


def published() -> QuerySet[Entry]:
    return Entry.objects.filter(PUBLISHED).order_by("-published_at", "-id")


def all_entries() -> QuerySet[Entry]:
    """Every entry, for admins: drafts and scheduled first, then the newest published."""
    return Entry.objects.order_by("-published_at", "-created_at", "-id")


def entry_or_404(viewer: Actor | None, entry_id: int) -> Entry:
    entry = Entry.objects.select_related("author", "shipped_status").filter(pk=entry_id).first()
    if entry is None or (entry.state != EntryState.PUBLISHED and not access.is_admin(viewer)):
        raise Http404("No such changelog entry")
    return entry


def visible_posts(viewer: Actor | None, entries: list[Entry]) -> dict[int, list[Post]]:
    """Each entry's linked posts that ``viewer`` may see, in the entry's order (one query)."""
    links = (
        EntryPost.objects.filter(entry__in=entries)
        .select_related("post", "post__board", "post__status")
        .order_by("entry_id", "position", "id")
    )
    out: dict[int, list[Post]] = {e.pk: [] for e in entries}
    for link in links:
        if access.can_view_post(viewer, link.post):
            out[link.entry_id].append(link.post)
    return out


def images_of(entries: list[Entry]) -> dict[int, list[EntryImage]]:
    out: dict[int, list[EntryImage]] = {e.pk: [] for e in entries}
    for image in EntryImage.objects.filter(entry__in=entries).order_by("id"):
        assert image.entry_id is not None
        out[image.entry_id].append(image)
    return out


def image_or_404(viewer: Actor | None, key: str) -> EntryImage:
    image = EntryImage.objects.select_related("entry").filter(key=key).first()
    if image is None or image.entry is None:
        raise Http404("No such image")
    if image.entry.state != EntryState.PUBLISHED and not access.is_admin(viewer):
        raise Http404("No such image")
    return image


def shipped_in(post: Post) -> list[Entry]:
    """The published entries that delivered ``post``, first shipped first (its page shows them)."""
    return list(Entry.objects.filter(PUBLISHED, links__post=post).order_by("published_at", "id"))


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: str | None


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _micros(at: datetime.datetime) -> int:
    return (at - EPOCH) // datetime.timedelta(microseconds=1)


def published_page(*, cursor: str | None, limit: int) -> Page:
    """Keyset pages of published entries, newest first (the API's list)."""
    rows = published()
    if cursor:
        micros, last_id = decode_cursor(cursor, length=2)
        try:
            at = EPOCH + datetime.timedelta(microseconds=int(micros))
        except (OverflowError, ValueError) as exc:
            raise BadCursor("This page link is damaged; start again from the first page.") from exc
        if not 0 < int(last_id) < 2**63:
            raise BadCursor("This page link is damaged; start again from the first page.")
        rows = rows.filter(Q(published_at__lt=at) | Q(published_at=at, id__lt=last_id))
    entries = list(rows.select_related("author")[: limit + 1])
    more = len(entries) > limit
    entries = entries[:limit]
    last = entries[-1] if entries else None
    next_cursor = (
        encode_cursor([_micros(last.published_at), last.pk])
        if more and last and last.published_at
        else None
    )
    return Page(entries, next_cursor)
