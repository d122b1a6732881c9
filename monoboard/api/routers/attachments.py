"""Images on posts and comments: multipart upload, and removal.

Uploads are ``multipart/form-data`` with one or more ``files`` parts. The
files themselves are fetched from the URLs in ``AttachmentOut``, through the
same visibility check as the post page. An image that is refused (not a PNG,
JPEG, WebP or GIF by its content, too large, too many) is a 400 problem whose
``errors.attachments`` says which file and why; nothing is stored then.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import File, Path, Router, Status, UploadedFile

from monoboard.api.auth import actor
from monoboard.api.errors import Problem, field_errors
from monoboard.api.schemas import AttachmentOut, PathId
from monoboard.boards import access, selectors, services

router = Router(tags=["attachments"])

AttachmentKey = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def _refused(exc: ValidationError) -> Exception:
    """Refused images are bad requests (400); other rules keep their 422."""
    errors = field_errors(exc)
    if "attachments" in errors:
        return Problem(400, errors["attachments"][0], errors=errors)
    return exc


@router.post(
    "/posts/{post_id}/attachments",
    response={201: list[AttachmentOut]},
    summary="Attach images to a post (its author or moderators)",
)
def add_to_post(
    request: HttpRequest, post_id: PathId, files: File[list[UploadedFile]]
) -> Status[list[dict[str, Any]]]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_member(user)
    try:
        rows = services.attachments_add(post=post, actor=user, uploads=files)
    except ValidationError as exc:
        raise _refused(exc) from exc
    return Status(201, [AttachmentOut.of(r) for r in rows])


@router.post(
    "/posts/{post_id}/comments/{comment_id}/attachments",
    response={201: list[AttachmentOut]},
    summary="Attach images to a comment (its author or moderators)",
)
def add_to_comment(
    request: HttpRequest, post_id: PathId, comment_id: PathId, files: File[list[UploadedFile]]
) -> Status[list[dict[str, Any]]]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    comment = selectors.comment_on_post(post, comment_id)
    comment.post = post
    access.require_member(user)
    if comment.deleted_at is not None and not access.can_edit_comment(user, comment):
        raise Http404("No such comment")
    try:
        rows = services.comment_attachments_add(comment=comment, actor=user, uploads=files)
    except ValidationError as exc:
        raise _refused(exc) from exc
    return Status(201, [AttachmentOut.of(r) for r in rows])


@router.delete(
    "/posts/{post_id}/attachments/{attachment_id}",
    response={204: None},
    summary="Remove an image from a post or one of its comments",
)
def delete_attachment(
    request: HttpRequest, post_id: PathId, attachment_id: AttachmentKey
) -> Status[None]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    attachment = selectors.attachment_by_key(attachment_id)
    if attachment is None or attachment.post_id != post.pk:
        raise Http404("No such image")
    if attachment.comment is not None and attachment.comment.deleted_at is not None:
        raise Http404("No such image")
    services.attachment_delete(attachment=attachment, actor=user)
    return Status(204, None)
