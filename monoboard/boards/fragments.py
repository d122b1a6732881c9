"""Rendered post rows for board pages, cached by their content.

Rendering a board page's twenty rows (title, excerpt, status, tags, comment
count) was about 60% of a signed-in board page's time. That part of a row is
the same for every viewer; the vote button beside it is not and is rendered
per request. Each row is stored under a hash of everything it shows (and the
catalog's version, for status and tag names and colours), so a changed post
simply has a new key: nothing to invalidate, and no one can be shown an old
row. ``CACHE_ASIDE_SECONDS`` only bounds how long unused rows stay.
One ``get_many`` fetches a page's rows; misses are rendered and stored in one
``set_many``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from monoboard.boards.models import Board, Post
from monoboard.lib import cacheaside

TEMPLATE = "boards/_post_row_main.html"


def _key(post: Post, board: Board, catalog: str) -> str:
    tags = [(t.pk, t.name, t.color) for t in post.tags.all()]
    shown = repr(
        (
            post.pk, post.title, post.slug, post.body_html, post.comment_count,
            post.status_id, tags, board.slug, catalog,
        )
    )  # fmt: skip
    return "row:" + hashlib.blake2b(shown.encode(), digest_size=16).hexdigest()


def attach_row_html(posts: Sequence[Post], board: Board) -> None:
    """Set ``post.row_main_html`` on each post, from the cache where it is there."""
    enabled = cacheaside.enabled()
    keys: dict[int, str] = {}
    found: dict[str, str] = {}
    if enabled:
        catalog = cacheaside.version("catalog")
        keys = {post.pk: _key(post, board, catalog) for post in posts}
        found = cacheaside.store().get_many(list(keys.values()))
    rendered: dict[str, str] = {}
    for post in posts:
        key = keys.get(post.pk, "")
        html = found.get(key)
        if html is None:
            html = render_to_string(TEMPLATE, {"post": post, "board": board})
            if enabled:
                rendered[key] = html
        post.row_main_html = mark_safe(html)  # type: ignore[attr-defined]  # noqa: S308  (our template's output)
    if enabled:
        cacheaside.count("post_rows", hits=len(posts) - len(rendered), misses=len(rendered))
        if rendered:
            cacheaside.store().set_many(rendered, int(settings.CACHE_ASIDE_SECONDS))
