"""Reads for the search page and the similar-posts endpoint.

The backend finds and ranks post ids (already limited to what the viewer may
see); this module loads those posts for display in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections
from django.db.models import Exists, OuterRef

from monoboard.boards import access
from monoboard.boards.models import Board, Post, Vote
from monoboard.core.events import log_alias
from monoboard.core.models import ConsumerPosition, Event
from monoboard.search import backend
from monoboard.search.backends import terms
from monoboard.search.backends.base import SearchHit
from monoboard.search.sync import INDEX_CONSUMER
from monoboard.similar import selectors as semantic

if TYPE_CHECKING:
    from monoboard.boards.access import Actor
    from monoboard.boards.models import Status

SIMILAR_LIMIT = 5

#: Similar ideas blend the two methods: 0.3 x the lexical score (0 when the
#: lexical method did not find the post) + 0.7 x the titles' cosine. Weights
#: chosen on the labelled pairs of bench/similar_precision.py (docs/search.md).
LEXICAL_WEIGHT = 0.3
SEMANTIC_WEIGHT = 0.7
#: How many lexical candidates are blended.
LEXICAL_POOL = 20
#: Semantic neighbours are looked up once the title has this many meaningful
#: words (a lone half-typed word says too little about its meaning).
SEMANTIC_MIN_WORDS = 2


@dataclass(frozen=True)
class SearchResult:
    post: Post
    hit: SearchHit

    @property
    def url(self) -> str:
        return post_url(self.post)


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult]
    next_cursor: str | None
    #: Set when more posts matched than one search ranks (SEARCH_RANK_POOL):
    #: the results are the best of this many newest matches.
    ranked_among: int | None = None


def post_url(post: Post) -> str:
    return f"/b/{post.board.slug}/p/{post.pk}/"


#: The columns a row of the search page shows (its hits need nothing else).
PAGE_COLUMNS = (
    "id", "title", "slug", "vote_count", "comment_count", "board_id", "status_id",
    "board__id", "board__name", "board__slug", "status__id", "status__name", "status__color",
)  # fmt: skip


def _load(
    ids: list[int], viewer: Actor | None, columns: tuple[str, ...] | None = None
) -> dict[int, Post]:
    posts = Post.objects.filter(pk__in=ids).select_related("board", "status")
    if columns is not None:
        posts = posts.only(*columns)
    uid = access.member_id(viewer)
    if uid is not None:
        posts = posts.annotate(
            viewer_voted=Exists(Vote.objects.filter(post=OuterRef("pk"), user_id=uid))
        )
    return {post.pk: post for post in posts}


def search_posts(
    query: str,
    *,
    viewer: Actor | None,
    board: Board | None = None,
    status: Status | None = None,
    cursor: str | None = None,
    limit: int = 20,
    columns: tuple[str, ...] | None = None,
) -> SearchPage:
    """Raises monoboard.lib.cursor.BadCursor for a damaged cursor.

    ``columns`` loads only those of each post (``PAGE_COLUMNS`` for the page);
    by default the whole post, its board and status.
    """
    found = backend().search(
        query, viewer=viewer, board=board, status=status, limit=limit, cursor=cursor
    )
    posts = _load([hit.post_id for hit in found.hits], viewer, columns)
    results = [SearchResult(posts[h.post_id], h) for h in found.hits if h.post_id in posts]
    return SearchPage(
        results=results, next_cursor=found.next_cursor, ranked_among=found.ranked_among
    )


def similar_ids(title: str, *, viewer: Actor | None, board: Board) -> list[int]:
    """The posts similar ideas shows for ``title``, best first.

    Every lexical match (which passed its own test, docs/search.md) is a
    candidate; so is every semantic neighbour whose cosine is at least
    ``SIMILAR_SEMANTIC_MIN``. Candidates are ordered by the blended score."""
    lexical = {
        hit.post_id: hit.score
        for hit in backend().similar(title, viewer=viewer, board=board, limit=LEXICAL_POOL)
    }
    neighbours: dict[int, float] = {}
    if len(terms.title_words(title)) >= SEMANTIC_MIN_WORDS:
        neighbours = dict(semantic.title_neighbours(title, board=board))
    if not neighbours:
        return sorted(lexical, key=lambda pk: (-lexical[pk], -pk))[:SIMILAR_LIMIT]
    cosines = neighbours | semantic.title_cosines(
        title, [pk for pk in lexical if pk not in neighbours]
    )
    floor = settings.SIMILAR_SEMANTIC_MIN
    candidates = set(lexical) | {pk for pk, cos in neighbours.items() if cos >= floor}
    score = {
        pk: LEXICAL_WEIGHT * lexical.get(pk, 0.0) + SEMANTIC_WEIGHT * max(0.0, cosines.get(pk, 0.0))
        for pk in candidates
    }
    return sorted(candidates, key=lambda pk: (-score[pk], -pk))[:SIMILAR_LIMIT]


def similar_posts(title: str, *, viewer: Actor | None, board: Board) -> list[dict[str, Any]]:
    """Up to five listed posts on ``board`` like ``title``, as JSON-ready dicts."""
    ids = similar_ids(title, viewer=viewer, board=board)
    posts = _load(ids, viewer)
    return [
        {
            "id": post.pk,
            "title": post.title,
            "url": post_url(post),
            "vote_url": f"{post_url(post)}vote/",
            "vote_count": post.vote_count,
            "status": post.status.name,
            "voted": bool(getattr(post, "viewer_voted", False)),
        }
        for post in (posts.get(pk) for pk in ids)
        if post is not None
    ]


def index_caught_up() -> bool:
    """Whether the index consumer has read every event in the log (one query).

    Only then does a search page show the site as of the newest event, the
    version the shared page cache files it under.
    """
    alias = log_alias(write=False)
    qn = connections[alias].ops.quote_name
    sql = (
        f"SELECT (SELECT max(id) FROM {qn(Event._meta.db_table)}), "  # noqa: S608
        f"(SELECT position FROM {qn(ConsumerPosition._meta.db_table)} WHERE name = %s)"
    )
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [INDEX_CONSUMER])
        row = cursor.fetchone()
    if row is None or row[1] is None:
        return False
    return int(row[0] or 0) <= int(row[1])
