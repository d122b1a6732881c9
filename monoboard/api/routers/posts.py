"""Posts: list, read, create, edit, moderate, merge."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Field as NField
from ninja import Query, Router
from ninja import Status as Reply

from monoboard.api import idempotency
from monoboard.api.auth import actor
from monoboard.api.schemas import (
    HiddenIn,
    Input,
    MergeIn,
    PathId,
    PostIn,
    PostOut,
    PostPageOut,
    PostPatch,
    StatusChangeIn,
    StatusChangeOut,
)
from monoboard.boards import access, selectors, services
from monoboard.boards.models import Post, Status, Tag

router = Router(tags=["posts"])


class PostListQuery(Input):
    sort: Literal["trending", "top", "new"] = "trending"
    status: str | None = NField(None, max_length=40, description="a status slug")
    tag: str | None = NField(None, max_length=40, description="a tag slug")
    mine: bool = False
    voted: bool = False
    cursor: str | None = NField(None, max_length=500)
    limit: int = NField(20, ge=1, le=100)


def _status(slug: str) -> Status:
    status = Status.objects.filter(slug=slug).first()
    if status is None:
        raise ValidationError({"status": f"No status is called {slug!r}."})
    return status


def _detail(request: HttpRequest, post_id: int) -> Post:
    return selectors.post_detail(post_id, actor(request))


def _tags_after(user: Any, tag_ids: list[int] | None, current: list[Tag]) -> list[Tag]:
    """The tags a post will have once a write with ``tag_ids`` commits, read
    before it: an answer built by re-reading after the commit could fail
    (a database outage) for a write that was in fact saved."""
    if tag_ids is None or not access.is_moderator(user):
        return current
    return list(Tag.objects.filter(pk__in=tag_ids))


@router.get("/boards/{slug}/posts", response=PostPageOut, summary="A page of a board's posts")
def list_posts(request: HttpRequest, slug: str, filters: Query[PostListQuery]) -> dict[str, Any]:
    user = actor(request)
    board = access.board_or_404(user, slug)
    tag = None
    if filters.tag:
        tag = Tag.objects.filter(slug=filters.tag).first()
        if tag is None:
            raise ValidationError({"tag": f"No tag is called {filters.tag!r}."})
    page = selectors.board_posts(
        board,
        user,
        selectors.PostFilter(
            sort=filters.sort,
            status=_status(filters.status) if filters.status else None,
            tag=tag,
            mine=filters.mine,
            voted=filters.voted,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    images = selectors.attachments_for_posts([p.pk for p in page.posts])
    return {
        "items": [PostOut.of(p, board, list(p.tags.all()), images[p.pk]) for p in page.posts],
        "next_cursor": page.next_cursor,
    }


@router.post("/boards/{slug}/posts", response={201: PostOut}, summary="Post an idea")
def create_post(request: HttpRequest, slug: str, payload: PostIn) -> Reply[dict[str, Any]]:
    user = actor(request)
    board = access.board_or_404(user, slug)
    access.require_member(user)

    tags = _tags_after(user, payload.tag_ids or None, [])

    def work() -> tuple[int, dict[str, Any]]:
        post = services.post_create(
            board=board, author=user, title=payload.title, body=payload.body,
            tag_ids=payload.tag_ids,
        )  # fmt: skip
        post.viewer_voted = True  # type: ignore[attr-defined]  # the author's own vote
        return 201, PostOut.of(post, board, tags)

    return Reply(*idempotency.run(request, user.pk, work))


@router.get("/posts/{post_id}", response=PostOut, summary="One post")
def get_post(request: HttpRequest, post_id: PathId) -> dict[str, Any]:
    return PostOut.of(_detail(request, post_id))


@router.patch("/posts/{post_id}", response=PostOut, summary="Edit a post (author or moderators)")
def update_post(request: HttpRequest, post_id: PathId, payload: PostPatch) -> dict[str, Any]:
    user = actor(request)
    post = _detail(request, post_id)
    tags = _tags_after(user, payload.tag_ids, list(post.tags.all()))
    post = services.post_update(
        post=post,
        actor=user,
        title=post.title if payload.title is None else payload.title,
        body=post.body if payload.body is None else payload.body,
        tag_ids=payload.tag_ids,
    )
    return PostOut.of(post, post.board, tags)


@router.post(
    "/posts/{post_id}/status", response=StatusChangeOut, summary="Change status, with a note"
)
def change_status(request: HttpRequest, post_id: PathId, payload: StatusChangeIn) -> dict[str, Any]:
    user = actor(request)
    post = _detail(request, post_id)
    access.require_moderator(user)
    status = Status.objects.filter(pk=payload.status_id).first()
    if status is None:
        raise ValidationError({"status_id": "No such status."})
    previous = post.status_id
    change = services.post_set_status(post=post, actor=user, status=status, note=payload.note)
    return {
        "id": change.pk if change else None,
        "from_status": previous,
        "to_status": status.pk,
        "note": change.note if change else "",
        "changed": change is not None,
    }


@router.put("/posts/{post_id}/hidden", response=PostOut, summary="Hide or unhide (moderators)")
def set_hidden(request: HttpRequest, post_id: PathId, payload: HiddenIn) -> dict[str, Any]:
    user = actor(request)
    post = _detail(request, post_id)
    tags = list(post.tags.all())
    post = services.post_set_hidden(post=post, actor=user, hidden=payload.hidden)
    return PostOut.of(post, post.board, tags)


@router.delete("/posts/{post_id}", response={204: None}, summary="Delete a post (moderators)")
def delete_post(request: HttpRequest, post_id: PathId) -> Reply[None]:
    services.post_delete(post=_detail(request, post_id), actor=actor(request))
    return Reply(204, None)


@router.post("/posts/{post_id}/merge", response=PostOut, summary="Merge into another post")
def merge_post(request: HttpRequest, post_id: PathId, payload: MergeIn) -> dict[str, Any]:
    user = actor(request)
    source = _detail(request, post_id)
    # Both posts are looked up before the role check: a post the caller may
    # not see is a 404, whoever asks, never a 403 that says it is there.
    target = _detail(request, payload.target_id)
    access.require_moderator(user)
    # The answer is read inside the write's transaction: a failure to read it
    # undoes the merge instead of hiding that it happened.
    with transaction.atomic():
        merged = services.post_merge(source=source, target=target, actor=user)
        return PostOut.of(_detail(request, merged.pk))


@router.post("/posts/{post_id}/unmerge", response=PostOut, summary="Undo a merge")
def unmerge_post(request: HttpRequest, post_id: PathId) -> dict[str, Any]:
    user = actor(request)
    with transaction.atomic():  # the answer is read before the commit (see merge_post)
        services.post_unmerge(source=_detail(request, post_id), actor=user)
        return PostOut.of(_detail(request, post_id))
