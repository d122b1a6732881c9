"""The one search interface every backend implements.

Backends index posts by id (reading the current row themselves) and answer two
questions: full-text search with highlighted snippets, and "posts with a title
like this one" for the new-post form. Privacy (private boards) and listing
(hidden or merged posts) are applied by the backend inside its query, so no
caller can forget them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.safestring import SafeString, mark_safe

from monoboard.lib.cursor import encode_cursor
from monoboard.lib.markdown import markdown_to_text

if TYPE_CHECKING:
    from monoboard.boards.access import Actor
    from monoboard.boards.models import Board, Status

# Markers the database puts around matched words. They are private-use code
# points stripped from every indexed text, so a post can never forge one.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
_MARKERS = re.compile(f"[{MARK_OPEN}{MARK_CLOSE}]")


@dataclass(frozen=True)
class SearchHit:
    post_id: int
    title_html: SafeString
    snippet_html: SafeString
    #: Which part of the post the snippet comes from: "body" or "comments".
    snippet_from: str
    score: float


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    next_cursor: str | None
    #: When more posts matched than one search ranks: how many of them, the
    #: newest, were ranked. None when every match was.
    ranked_among: int | None = None


def results_page(
    ranked: list[tuple[int, float]],
    marked: dict[int, tuple[str, str, str]],
    *,
    limit: int,
    ranked_among: int | None,
) -> SearchResults:
    """A page from (post id, score) rows, best first and fetched ``limit + 1``
    deep (the extra row says another page follows), and the marked title,
    body snippet and comments snippet of each shown post."""
    hits = [
        hit_from_row((post_id, score, *marked[post_id]))
        for post_id, score in ranked[:limit]
        if post_id in marked
    ]
    next_cursor = None
    if len(ranked) > limit and hits:
        next_cursor = encode_cursor([hits[-1].score, hits[-1].post_id])
    return SearchResults(hits=hits, next_cursor=next_cursor, ranked_among=ranked_among)


def rank_pool() -> int:
    """How many matches one search ranks at most (``SEARCH_RANK_POOL``).

    Ranking reads every candidate it scores, so without a bound a common word
    on a large site costs time in proportion to the site. Past the bound the
    newest matches are ranked: the cost stays that of ``SEARCH_RANK_POOL``
    rows however large the site grows.
    """
    from django.conf import settings

    return int(settings.SEARCH_RANK_POOL)


@dataclass(frozen=True)
class SimilarHit:
    post_id: int
    score: float


class SearchBackend(Protocol):
    vendor: str

    def index_post(self, post_id: int) -> None:
        """Bring one post's index entry up to date (removing it if the post is gone)."""

    def index_posts(self, post_ids: Iterable[int]) -> None:
        """Index many posts in one transaction (used by ``manage.py reindex``)."""

    def remove_post(self, post_id: int) -> None: ...

    def clear(self) -> None:
        """Drop every index entry."""

    def search(
        self,
        query: str,
        *,
        viewer: Actor | None,
        board: Board | None = None,
        status: Status | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchResults:
        """Best matches first; ``cursor`` continues after the last hit of a page."""

    def similar(
        self, title: str, *, viewer: Actor | None, board: Board, limit: int = 5
    ) -> list[SimilarHit]:
        """Listed posts on ``board`` whose titles resemble ``title``, most alike first."""


def clean_text(text: str) -> str:
    """Text as it goes into the index: without the highlight markers."""
    return _MARKERS.sub("", text or "")


def marked_html(text: str) -> SafeString:
    """Escape everything, then turn the database's markers into <mark> tags.

    Unbalanced markers (a snippet cut inside a match) are closed or dropped,
    so the result is always well-formed.
    """
    out: list[str] = []
    open_ = False
    for part in re.split(f"([{MARK_OPEN}{MARK_CLOSE}])", text or ""):
        if part == MARK_OPEN:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == MARK_CLOSE:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(html.escape(part))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308  (every piece of text was escaped above)


def has_mark(text: str) -> bool:
    return MARK_OPEN in (text or "")


def hit_from_row(row: tuple[Any, ...]) -> SearchHit:
    """A hit from (post id, score, marked title, body snippet, comments snippet)."""
    post_id, score, title, body_snip, comment_snip = row
    if has_mark(body_snip) or not has_mark(comment_snip):
        snippet, source = body_snip, "body"
    else:
        snippet, source = comment_snip, "comments"
    return SearchHit(
        post_id=int(post_id),
        title_html=marked_html(title),
        snippet_html=marked_html(markdown_to_text(snippet)),
        snippet_from=source,
        score=float(score),
    )


def write_alias() -> str:
    """The database holding the index: wherever a router puts posts' writes."""
    from django.db import router

    from monoboard.boards.models import Post

    return router.db_for_write(Post) or "default"


def read_alias() -> str:
    """The database searches read from (a replica once a router says so)."""
    from django.db import router

    from monoboard.boards.models import Post

    return router.db_for_read(Post) or "default"
