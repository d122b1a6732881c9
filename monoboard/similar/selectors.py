"""Reads of the similar app: semantic neighbours of a typed title, and the
moderators' list of likely duplicate pairs.

Both work without any stored vector (a site that has not run
``manage.py embedposts`` yet, or ``SIMILAR_SEMANTIC=false``): they then find
nothing, and the new-post form falls back to the lexical suggestions alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from monoboard.boards import access
from monoboard.boards.models import Board, Post
from monoboard.similar import embedding, index
from monoboard.similar.models import DismissedPair

if TYPE_CHECKING:
    from monoboard.boards.access import Actor

logger = logging.getLogger(__name__)

#: How many nearest rows a look-up takes before checking them against the posts table.
NEIGHBOURS = 20

#: How many closest posts of each post the triage list considers.
PAIRS_PER_POST = 3


def enabled() -> bool:
    return bool(settings.SIMILAR_SEMANTIC)


def title_neighbours(
    title: str, *, board: Board, limit: int = NEIGHBOURS
) -> list[tuple[int, float]]:
    """Listed posts on ``board`` whose titles mean something close to ``title``:
    (post id, cosine), best first. The caller has checked the viewer may see the board."""
    if not enabled() or not title.strip():
        return []
    try:
        snapshot = index.shared().refresh()
        if len(snapshot) == 0:
            return []
        [vector] = embedding.embed([title])
    except embedding.ModelUnavailable:
        logger.warning("semantic suggestions are off: the embedding model is unavailable")
        return []
    found = index.nearest(vector, snapshot, board_id=board.pk, limit=limit)
    listed = set(
        Post.objects.filter(
            pk__in=[pk for pk, _ in found], board=board, is_listed=True
        ).values_list("pk", flat=True)
    )
    return [(pk, score) for pk, score in found if pk in listed]


def title_cosines(title: str, post_ids: list[int]) -> dict[int, float]:
    """Cosine between ``title`` and each of ``post_ids`` that has a vector."""
    if not enabled() or not post_ids or not title.strip():
        return {}
    try:
        shared = index.shared()
        shared.refresh()
        vectors = shared.vectors_of(post_ids)
        if not vectors:
            return {}
        [vector] = embedding.embed([title])
    except embedding.ModelUnavailable:
        return {}
    return {pk: float(row @ vector) for pk, row in vectors.items()}


@dataclass(frozen=True)
class Pair:
    first: Post
    second: Post
    score: float

    @property
    def posts(self) -> list[Post]:
        return [self.first, self.second]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def suggested_source(self) -> Post:
        """The post to fold into the other: the one with fewer votes (else the newer)."""
        a, b = self.first, self.second
        if (a.vote_count, -a.pk) < (b.vote_count, -b.pk):
            return a
        return b

    @property
    def suggested_target(self) -> Post:
        return self.second if self.suggested_source is self.first else self.first


def duplicate_pairs(
    viewer: Actor | None,
    *,
    threshold: float | None = None,
    board: Board | None = None,
    limit: int = 50,
) -> list[Pair]:
    """Pairs of listed posts on one board, among the boards ``viewer`` may see,
    whose titles' cosine is at least ``threshold`` (``SIMILAR_TRIAGE_THRESHOLD``),
    best first, without pairs a moderator dismissed. Each of the newest
    ``SIMILAR_TRIAGE_WINDOW`` listed posts is compared with every listed post
    of its board."""
    floor = settings.SIMILAR_TRIAGE_THRESHOLD if threshold is None else threshold
    if not enabled():
        return []
    snapshot = index.shared().refresh()
    if len(snapshot) == 0:
        return []
    boards = access.visible_boards(viewer)
    if board is not None:
        boards = boards.filter(pk=board.pk)
    listed = Post.objects.filter(is_listed=True, board__in=boards)
    listed_ids = np.fromiter(listed.values_list("pk", flat=True), dtype=np.int64)
    window = set(
        listed.order_by("-pk").values_list("pk", flat=True)[: settings.SIMILAR_TRIAGE_WINDOW]
    )
    keep = np.isin(snapshot.post_ids, listed_ids)
    ids, board_ids, matrix = (
        snapshot.post_ids[keep],
        snapshot.board_ids[keep],
        snapshot.matrix[keep],
    )
    window_rows = np.isin(ids, np.fromiter(window, dtype=np.int64))
    found: dict[tuple[int, int], float] = {}
    for board_id in np.unique(board_ids):
        in_board = np.flatnonzero(board_ids == board_id)
        if in_board.shape[0] < 2:
            continue
        board_matrix = matrix[in_board].astype(np.float32)
        rows = in_board[window_rows[in_board]]
        take = min(PAIRS_PER_POST + 1, in_board.shape[0])
        for start in range(0, rows.shape[0], 256):
            chunk = rows[start : start + 256]
            scores = matrix[chunk].astype(np.float32) @ board_matrix.T
            # Each post's closest few (the first is usually itself).
            top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
            for r, cols in enumerate(top):
                a = int(ids[chunk[r]])
                for c in cols:
                    b, score = int(ids[in_board[c]]), float(scores[r, c])
                    if a != b and score >= floor:
                        found[(min(a, b), max(a, b))] = score
    if not found:
        return []
    dismissed = set(
        DismissedPair.objects.filter(
            low_post_id__in={a for a, _ in found}, high_post_id__in={b for _, b in found}
        ).values_list("low_post_id", "high_post_id")
    )
    best = sorted(
        ((score, key) for key, score in found.items() if key not in dismissed), reverse=True
    )[:limit]
    posts = Post.objects.select_related("board", "status").in_bulk(
        {pk for _, key in best for pk in key}
    )
    return [
        Pair(posts[a], posts[b], min(1.0, score))
        for score, (a, b) in best
        if a in posts and b in posts
    ]
