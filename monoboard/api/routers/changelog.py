"""Changelog entries: list and read for everyone; write, publish and delete for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field as NField
from ninja import Query, Router, Schema
from ninja import Status as Reply

from monoboard.api import idempotency
from monoboard.api.auth import actor
from monoboard.api.schemas import Id, Input, PathId
from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.changelog import selectors, services
from monoboard.changelog.announce import entry_path
from monoboard.changelog.models import Entry, EntryImage

router = Router(tags=["changelog"])


class EntryPostOut(Schema):
    id: int
    title: str
    board: str
    url: str


class EntryImageOut(Schema):
    key: str
    url: str
    content_type: str
    width: int
    height: int


class EntryOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    state: str
    scheduled_at: datetime | None
    published_at: datetime | None
    mark_shipped: bool
    shipped_status_id: int | None
    posts: list[EntryPostOut]
    images: list[EntryImageOut]
    url: str

    @staticmethod
    def of(entry: Entry, posts: list[Post], images: list[EntryImage]) -> dict[str, Any]:
        return {
            "id": entry.pk,
            "title": entry.title,
            "body": entry.body,
            "body_html": entry.body_html,
            "state": entry.state,
            "scheduled_at": entry.scheduled_at,
            "published_at": entry.published_at,
            "mark_shipped": entry.mark_shipped,
            "shipped_status_id": entry.shipped_status_id,
            "posts": [
                {
                    "id": p.pk,
                    "title": p.title,
                    "board": p.board.slug,
                    "url": f"/b/{p.board.slug}/p/{p.pk}/",
                }
                for p in posts
            ],
            "images": [
                {
                    "key": i.key,
                    "url": f"/changelog/images/{i.key}/",
                    "content_type": i.content_type,
                    "width": i.width,
                    "height": i.height,
                }
                for i in images
            ],
            "url": entry_path(entry),
        }


class EntryPageOut(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class EntryListQuery(Input):
    cursor: str | None = NField(None, max_length=500)
    limit: int = NField(20, ge=1, le=100)


class EntryIn(Input):
    title: str = NField(max_length=500)
    body: str = NField("", max_length=60000)
    post_ids: list[Id] = NField(default_factory=list, max_length=100)
    mark_shipped: bool = False
    shipped_status_id: Id | None = None


class EntryPatch(Input):
    title: str | None = NField(None, max_length=500)
    body: str | None = NField(None, max_length=60000)
    post_ids: list[Id] | None = NField(None, max_length=100)
    mark_shipped: bool | None = None
    shipped_status_id: Id | None = None


class PublishIn(Input):
    at: datetime | None = NField(
        None, description="When to publish (with its time zone); leave out to publish now"
    )


def _out(request: HttpRequest, entry: Entry) -> dict[str, Any]:
    user = actor(request)
    return EntryOut.of(
        entry,
        selectors.visible_posts(user, [entry])[entry.pk],
        selectors.images_of([entry])[entry.pk],
    )


@router.get("/changelog", response=EntryPageOut, summary="A page of published entries")
def list_entries(request: HttpRequest, filters: Query[EntryListQuery]) -> dict[str, Any]:
    page = selectors.published_page(cursor=filters.cursor, limit=filters.limit)
    posts = selectors.visible_posts(actor(request), page.entries)
    images = selectors.images_of(page.entries)
    return {
        "items": [EntryOut.of(e, posts[e.pk], images[e.pk]) for e in page.entries],
        "next_cursor": page.next_cursor,
    }


@router.get("/changelog/{entry_id}", response=EntryOut, summary="One entry (drafts: admins)")
def get_entry(request: HttpRequest, entry_id: PathId) -> dict[str, Any]:
    return _out(request, selectors.entry_or_404(actor(request), entry_id))


@router.post("/changelog", response={201: EntryOut}, summary="Write a draft (admins)")
def create_entry(request: HttpRequest, payload: EntryIn) -> Reply[dict[str, Any]]:
    user = actor(request)
    access.require_admin(user)

    def work() -> tuple[int, dict[str, Any]]:
        entry = services.entry_create(
            actor=user,
            title=payload.title,
            body=payload.body,
            post_ids=payload.post_ids,
            mark_shipped=payload.mark_shipped,
            shipped_status_id=payload.shipped_status_id,
        )
        return 201, _out(request, entry)

    return Reply(*idempotency.run(request, user.pk, work))


def _admin_entry(request: HttpRequest, entry_id: int) -> Entry:
    user = actor(request)
    entry = selectors.entry_or_404(user, entry_id)
    access.require_admin(user)
    return entry


@router.patch("/changelog/{entry_id}", response=EntryOut, summary="Edit an entry (admins)")
def update_entry(request: HttpRequest, entry_id: PathId, payload: EntryPatch) -> dict[str, Any]:
    entry = _admin_entry(request, entry_id)
    entry = services.entry_update(
        actor=actor(request),
        entry=entry,
        title=entry.title if payload.title is None else payload.title,
        body=entry.body if payload.body is None else payload.body,
        post_ids=payload.post_ids,
        mark_shipped=payload.mark_shipped,
        shipped_status_id=payload.shipped_status_id,
    )
    return _out(request, entry)


@router.post(
    "/changelog/{entry_id}/publish",
    response=EntryOut,
    summary="Publish now, or at a time (admins)",
)
def publish_entry(request: HttpRequest, entry_id: PathId, payload: PublishIn) -> dict[str, Any]:
    entry = _admin_entry(request, entry_id)
    if payload.at is None:
        entry = services.entry_publish(actor=actor(request), entry=entry)
    else:
        entry = services.entry_schedule(actor=actor(request), entry=entry, at=payload.at)
    return _out(request, entry)


@router.delete("/changelog/{entry_id}", response={204: None}, summary="Delete an entry (admins)")
def delete_entry(request: HttpRequest, entry_id: PathId) -> Reply[None]:
    services.entry_delete(actor=actor(request), entry=_admin_entry(request, entry_id))
    return Reply(204, None)


__all__ = ["router"]
