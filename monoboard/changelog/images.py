"""Entry images: checked by the attachment checks, stored under ``changelog/``.

Every upload goes through ``boards.images.clean_image`` (decoded with Pillow,
only PNG, JPEG, WebP and GIF, decompression bombs refused, re-encoded without
metadata) under the attachment limits (``ATTACHMENT_MAX_BYTES``,
``ATTACHMENT_MAX_PIXELS``). Files are kept under their own prefix in
``STORAGES["default"]``, apart from ``attachments/``, whose orphan sweep knows
only post attachments; ``prune`` is this app's own sweep.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile

from monoboard.boards import files, images

PREFIX = "changelog/"
FIELD = "images"


@dataclass(frozen=True)
class Staged:
    """An accepted upload, already in storage, waiting for its row."""

    file_name: str
    content_type: str
    original_name: str
    size: int
    width: int
    height: int


def _name(upload: File[Any]) -> str:
    name = (upload.name or "image").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:120] or "image"


def _clean(upload: File[Any]) -> tuple[str, images.CleanImage]:
    name = _name(upload)
    max_bytes = settings.ATTACHMENT_MAX_BYTES
    too_big = ValidationError({FIELD: f"{name}: larger than {max_bytes // 1024:,} KB, the limit."})
    if upload.size is not None and upload.size > max_bytes:
        raise too_big
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    try:
        return name, images.clean_image(data, max_pixels=settings.ATTACHMENT_MAX_PIXELS)
    except images.ImageRefused as exc:
        raise ValidationError({FIELD: f"{name}: {exc}"}) from exc


def stage(uploads: Sequence[File[Any]]) -> list[Staged]:
    """Check every upload, then store them all; a refusal stores none."""
    cleaned = [_clean(upload) for upload in uploads]
    staged: list[Staged] = []
    try:
        for name, clean in cleaned:
            path = f"{PREFIX}{secrets.token_urlsafe(24)}.{clean.extension}"
            stored = files.storage().save(path, ContentFile(clean.data))
            staged.append(
                Staged(stored, clean.content_type, name, len(clean.data), clean.width, clean.height)
            )
    except BaseException:
        files.remove(s.file_name for s in staged)
        raise
    return staged


def listed() -> Iterator[str]:
    """Every stored entry image file."""
    store = files.storage()
    try:
        _, names = store.listdir(PREFIX.rstrip("/"))
    except FileNotFoundError:
        return
    for name in names:
        yield f"{PREFIX}{name}"


def stray(names: list[str], used: set[str], cutoff: datetime.datetime) -> list[str]:
    """Those of ``names`` no row uses, stored before ``cutoff``."""
    store = files.storage()
    return [n for n in names if n not in used and store.get_modified_time(n) < cutoff]
