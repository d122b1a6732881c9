"""Opaque cursors for keyset pagination.

A cursor is the sort key of the last row shown, so the next page is one index
range scan (``WHERE (key, id) < (last_key, last_id)``), however deep it is.
"""

from __future__ import annotations

import base64
import json
from typing import Any


class BadCursor(ValueError):
    """The cursor was not made by :func:`encode_cursor`."""


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("This page link is damaged; start again from the first page.") from exc
    if not isinstance(values, list) or len(values) != length:
        raise BadCursor("This page link is damaged; start again from the first page.")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise BadCursor("This page link is damaged; start again from the first page.")
    return values
