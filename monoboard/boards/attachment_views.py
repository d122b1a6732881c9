"""The only way out for attachment files: a view that asks who may see the post.

An attachment is exactly as visible as its post (``access.can_view_post``,
the rule the post page uses); a comment's images go with the comment when it
is deleted. Anything else, whatever the URL, is a 404. Files are sent with
headers that stop a browser from treating them as anything but an image.
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from monoboard.boards import access, files, selectors
from monoboard.boards.images import THUMB_CONTENT_TYPE
from monoboard.boards.models import Attachment

FILE_CSP = "default-src 'none'; sandbox"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def visible_attachment(request: HttpRequest, key: str) -> Attachment:
    row = selectors.attachment_by_key(key)
    if row is None or row.post is None or not access.can_view_post(request.user, row.post):
        raise Http404("No such image")
    if row.comment is not None and row.comment.deleted_at is not None:
        raise Http404("No such image")
    return row


def _download_name(row: Attachment, content_type: str, suffix: str = "") -> str:
    stem = row.original_name.rsplit(".", 1)[0] if "." in row.original_name else row.original_name
    stem = "".join(c for c in stem if c.isalnum() or c in " -_")[:80].strip() or "image"
    return f"{stem}{suffix}.{EXTENSIONS.get(content_type, 'img')}"


def _is_public(row: Attachment) -> bool:
    post = row.post
    assert post is not None
    return access.is_public_post(post)


def _serve(request: HttpRequest, row: Attachment, *, thumb: bool) -> HttpResponseBase:
    name = row.thumb_name if thumb and row.thumb_name else row.file_name
    content_type = THUMB_CONTENT_TYPE if name == row.thumb_name else row.content_type
    filename = _download_name(row, content_type, "-small" if name == row.thumb_name else "")
    cache = "public, max-age=300" if _is_public(row) else "private, max-age=300"
    response: HttpResponseBase
    if files.is_s3() and settings.ATTACHMENT_S3_DELIVERY == "redirect":
        url = files.storage().url(  # type: ignore[call-arg]  # S3Storage takes them
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition_header(False, filename),
                "ResponseCacheControl": "private, max-age=60",
            },
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
    else:
        try:
            handle = files.storage().open(name, "rb")
        except FileNotFoundError as exc:
            raise Http404("No such image") from exc
        response = FileResponse(handle, content_type=content_type, filename=filename)
        response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
def attachment_file(request: HttpRequest, key: str) -> HttpResponseBase:
    return _serve(request, visible_attachment(request, key), thumb=False)


@require_GET
def attachment_thumb(request: HttpRequest, key: str) -> HttpResponseBase:
    """The thumbnail; the full image until the thumbnail job has run."""
    return _serve(request, visible_attachment(request, key), thumb=True)
