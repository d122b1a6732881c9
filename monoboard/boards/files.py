"""Attachment files in ``STORAGES["default"]``: saving, reading, removing.

Storage names are random and unguessable (``attachments/<32 random
characters>.<ext>``) and never appear in a page: files leave only through
the checked view in attachment_views.py.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

PREFIX = "attachments/"


def storage() -> Storage:
    return storages["default"]


def is_s3() -> bool:
    return type(storage()).__module__.startswith("storages.backends.s3")


def save(data: bytes, extension: str) -> str:
    """Store ``data`` under a new random name; returns the name."""
    name = f"{PREFIX}{secrets.token_urlsafe(24)}.{extension}"
    return storage().save(name, ContentFile(data))


def read(name: str) -> bytes:
    with storage().open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def remove(names: Iterable[str]) -> int:
    """Delete these files; a file already gone is not an error. Returns how many were asked."""
    count = 0
    for name in names:
        if not name:
            continue
        with contextlib.suppress(FileNotFoundError):
            storage().delete(name)
        count += 1
    return count


def listed() -> Iterable[str]:
    """Every stored attachment file name (files and thumbnails)."""
    store = storage()
    pending = [PREFIX.rstrip("/")]
    while pending:
        folder = pending.pop()
        try:
            dirs, names = store.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            yield f"{folder}/{name}"
        pending.extend(f"{folder}/{d}" for d in dirs)
