"""Comments: list, write, edit, delete, pin the official response."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Status

from monoboard.api import idempotency
from monoboard.api.auth import actor
from monoboard.api.schemas import CommentIn, CommentOut, CommentPatch, PathId, PinIn
from monoboard.boards import access, selectors, services
from monoboard.boards.models import Comment

router = Router(tags=["comments"])


def _comment(request: HttpRequest, post_id: int, comment_id: int) -> Comment:
    post = selectors.post_detail(post_id, actor(request))
    comment = selectors.comment_on_post(post, comment_id)
    comment.post = post
    return comment


@router.get("/posts/{post_id}/comments", response=list[CommentOut], summary="A post's comments")
def list_comments(request: HttpRequest, post_id: PathId) -> list[dict[str, Any]]:
    post = selectors.post_detail(post_id, actor(request))
    images = selectors.post_attachments(post).by_comment
    return [CommentOut.of(c, images.get(c.pk, [])) for c in selectors.post_comments(post)]


@router.post("/posts/{post_id}/comments", response={201: CommentOut}, summary="Comment")
def create_comment(
    request: HttpRequest, post_id: PathId, payload: CommentIn
) -> Status[dict[str, Any]]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_member(user)

    def work() -> tuple[int, dict[str, Any]]:
        comment = services.comment_create(
            post=post, author=user, body=payload.body, official=payload.official
        )
        return 201, CommentOut.of(comment)

    return Status(*idempotency.run(request, user.pk, work))


@router.patch(
    "/posts/{post_id}/comments/{comment_id}", response=CommentOut, summary="Edit a comment"
)
def update_comment(
    request: HttpRequest, post_id: PathId, comment_id: PathId, payload: CommentPatch
) -> dict[str, Any]:
    comment = _comment(request, post_id, comment_id)
    return CommentOut.of(
        services.comment_update(comment=comment, actor=actor(request), body=payload.body)
    )


@router.delete(
    "/posts/{post_id}/comments/{comment_id}", response={204: None}, summary="Delete a comment"
)
def delete_comment(request: HttpRequest, post_id: PathId, comment_id: PathId) -> Status[None]:
    user = actor(request)
    access.require_member(user)  # anonymous: 401, whatever state the comment is in
    comment = _comment(request, post_id, comment_id)
    if comment.deleted_at is not None and not access.can_edit_comment(user, comment):
        raise Http404("No such comment")
    services.comment_delete(comment=comment, actor=user)
    return Status(204, None)


@router.put(
    "/posts/{post_id}/comments/{comment_id}/pin",
    response=CommentOut,
    summary="Pin or unpin as the official response (moderators)",
)
def pin_comment(
    request: HttpRequest, post_id: PathId, comment_id: PathId, payload: PinIn
) -> dict[str, Any]:
    comment = _comment(request, post_id, comment_id)
    return CommentOut.of(
        services.comment_set_pinned(comment=comment, actor=actor(request), pinned=payload.pinned)
    )
