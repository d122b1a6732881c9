"""Stage-1 search: SQLite FTS5, in the same database file as everything else.

Tables (created by this app's migrations, on SQLite only):

``search_post_fts``
    FTS5 over title, body and comments of each listed post (rowid = post id),
    tokenised with ``porter unicode61`` and ranked by bm25 with the title
    weighted highest. Similar-title lookups use its title column too.
``search_word`` / ``search_word_tri``
    every distinct title word, with an FTS5 trigram index, so that typos can
    be corrected to known words (see :mod:`monoboard.search.backends.spelling`).

The post table is joined to ``boards_post`` at query time, so board, status, listing
and board privacy are always the current values, not copies in the index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from monoboard.boards import access
from monoboard.lib.cursor import decode_cursor
from monoboard.search.backends import spelling, terms
from monoboard.search.backends.base import (
    MARK_CLOSE,
    MARK_OPEN,
    SearchResults,
    SimilarHit,
    rank_pool,
    read_alias,
    results_page,
    write_alias,
)
from monoboard.search.backends.documents import load_documents
from monoboard.search.backends.similarity import rank_similar

if TYPE_CHECKING:
    from monoboard.boards.access import Actor
    from monoboard.boards.models import Board, Status

#: bm25 weights for (title, body, comments): a word in the title counts most.
WEIGHTS = (10.0, 3.0, 1.0)
SNIPPET_TOKENS = 24
SIMILAR_CANDIDATES = 40

_SCORE = "bm25(search_post_fts, {}, {}, {})".format(*WEIGHTS)
# CROSS JOIN keeps the full-text index as the outer loop: probing it once per
# post of a board instead took seconds on a million posts.
_FROM = " FROM search_post_fts CROSS JOIN boards_post p ON p.id = search_post_fts.rowid"
_MARKS = (MARK_OPEN, MARK_CLOSE)


class SqliteFts5Backend:
    vendor = "sqlite"

    # --- writing -----------------------------------------------------------------

    def index_post(self, post_id: int) -> None:
        self.index_posts([post_id])

    def index_posts(self, post_ids: Iterable[int]) -> None:
        ids = list(post_ids)
        docs = load_documents(ids)
        with transaction.atomic(using=write_alias()), connections[write_alias()].cursor() as cur:
            self._delete(cur, ids)
            cur.executemany(
                "INSERT INTO search_post_fts(rowid, title, body, comments) VALUES (%s, %s, %s, %s)",
                [(d.post_id, d.title, d.body, d.comments) for d in docs],
            )
            spelling.remember_words(cur, (d.title for d in docs))

    def remove_post(self, post_id: int) -> None:
        with transaction.atomic(using=write_alias()), connections[write_alias()].cursor() as cur:
            self._delete(cur, [post_id])

    def clear(self) -> None:
        with transaction.atomic(using=write_alias()), connections[write_alias()].cursor() as cur:
            for table in ("search_post_fts", "search_word", "search_word_tri"):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608  (fixed names)

    @staticmethod
    def _delete(cur: Any, ids: list[int]) -> None:
        cur.executemany("DELETE FROM search_post_fts WHERE rowid = %s", [(i,) for i in ids])

    # --- reading -----------------------------------------------------------------

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
        after = _decode(cursor) if cursor else None
        words = terms.words(query)
        if not words:
            return SearchResults(hits=[], next_cursor=None)
        more: list[str] = []
        if terms.is_prefix(words[-1]):
            with connections[read_alias()].cursor() as cur:
                # Whole known words for the half-typed last word: a stemmed prefix
                # ("notificati") would miss the stemmed word ("notif").
                more = spelling.completions(cur, words[-1])
        match = terms.fts5_all_words(words, last_also=more)
        board_ids = _visible_board_ids(viewer, board)
        if not board_ids:
            return SearchResults(hits=[], next_cursor=None)
        where = [
            "search_post_fts MATCH %s",
            "p.is_listed",
            f"p.board_id IN ({', '.join(['%s'] * len(board_ids))})",
        ]
        params: list[Any] = [match, *board_ids]
        if status is not None:
            where.append("p.status_id = %s")
            params.append(status.pk)
        pool = rank_pool()
        with connections[read_alias()].cursor() as cur:
            oldest = _oldest_of_newest(cur, where, params, pool)
            if oldest is not None:
                where.append("search_post_fts.rowid >= %s")
                params.append(oldest)
            if after is not None:
                where.append(f"({_SCORE} > %s OR ({_SCORE} = %s AND p.id > %s))")
                params += [after[0], after[0], after[1]]
            cur.execute(
                f"SELECT p.id, {_SCORE} AS score{_FROM}"
                f" WHERE {' AND '.join(where)} ORDER BY score, p.id LIMIT %s",
                [*params, limit + 1],
            )
            ranked = cur.fetchall()
            marked = _marked_texts(cur, match, [post_id for post_id, _ in ranked[:limit]])
        return results_page(
            ranked, marked, limit=limit, ranked_among=pool if oldest is not None else None
        )

    def similar(
        self, title: str, *, viewer: Actor | None, board: Board, limit: int = 5
    ) -> list[SimilarHit]:
        """Titles containing every typed word (typos replaced by known words
        that look like them; the last word may be half-typed), scored in Python."""
        if not access.can_view_board(viewer, board):
            return []
        wanted = terms.title_words(title)
        if not terms.trigrams(wanted):
            return []
        groups: list[str] = []
        best: list[str] = []
        with connections[read_alias()].cursor() as cur:

            def keep(words: list[str]) -> list[str]:
                return _words_on_board(cur, words, board)

            for i, word in enumerate(wanted):
                last = i == len(wanted) - 1
                # Only words of listed titles on this board count: a word seen
                # only in titles the viewer may not see acts as an unknown one.
                options = spelling.spellings(cur, word, prefix=last, keep=keep)
                if not options or options[0] in terms.STOP_WORDS:
                    continue  # unknown anywhere, or a stop word: it must not rule others out
                quoted = [terms.fts5_quote(o) for o in options]
                if last and word not in options:  # still half-typed (see fts5_all_words)
                    quoted.append(f"{terms.fts5_quote(word)}*")
                groups.append("(" + " OR ".join(quoted) + ")")
                best.append(options[0])
            if not groups:
                return []
            where = ["search_post_fts MATCH %s", "p.board_id = %s", "p.is_listed"]
            params: list[Any] = [f"title : ({' AND '.join(groups)})", board.pk]
            oldest = _oldest_of_newest(cur, where, params, rank_pool())
            if oldest is not None:
                where.append("search_post_fts.rowid >= %s")
                params.append(oldest)
            # Every candidate holds every word, so the shortest titles are the
            # closest; bm25 would rank them alike but first counts, across the
            # whole index, the posts holding each word.
            cur.execute(
                f"SELECT p.id, search_post_fts.title{_FROM}"
                f" WHERE {' AND '.join(where)}"
                " ORDER BY length(search_post_fts.title), p.id DESC LIMIT %s",
                [*params, SIMILAR_CANDIDATES],
            )
            candidates = cur.fetchall()
        return rank_similar(best, candidates, limit=limit)


def _words_on_board(cur: Any, words: list[str], board: Board) -> list[str]:
    """Those of ``words`` that occur in the title of a listed post on ``board``.

    Matched the way similar-title candidates are (FTS5 with stemming), in one
    statement; each word stops at its first listed post on the board.
    """
    if not words:
        return []
    cur.execute(
        "SELECT w.value FROM json_each(%s) AS w WHERE EXISTS (SELECT 1"  # noqa: S608  (fixed text)
        f"{_FROM} WHERE search_post_fts MATCH"
        " ('title : \"' || replace(w.value, '\"', '\"\"') || '\"')"
        " AND p.board_id = %s AND p.is_listed)",
        [json.dumps(words), board.pk],
    )
    kept = {row[0] for row in cur.fetchall()}
    return [w for w in words if w in kept]


def _oldest_of_newest(cur: Any, where: list[str], params: list[Any], pool: int) -> int | None:
    """The post id of the ``pool``-th newest match, or None unless more match.

    FTS5 walks its matches newest first and stops here, so this costs at
    most ``pool`` rows; ranking then reads only the matches from this id on
    (``rank_pool``).
    """
    cur.execute(
        f"SELECT search_post_fts.rowid{_FROM} WHERE {' AND '.join(where)}"
        " ORDER BY search_post_fts.rowid DESC LIMIT 2 OFFSET %s",
        [*params, pool - 1],
    )
    rows = cur.fetchall()
    return int(rows[0][0]) if len(rows) == 2 else None


def _marked_texts(cur: Any, match: str, post_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """Marked title, body snippet and comments snippet of the posts shown.

    Kept out of the ranking query: snippets tokenise each text again, and
    there they would be made for every candidate, not just the page. The ids
    bound a rowid range so that FTS5 runs the query once; as an index
    constraint (no ``+``) the IN list would run it once per id.
    """
    if not post_ids:
        return {}
    cur.execute(
        "SELECT rowid, highlight(search_post_fts, 0, %s, %s),"  # noqa: S608  (placeholders only)
        " snippet(search_post_fts, 1, %s, %s, '…', %s),"
        " snippet(search_post_fts, 2, %s, %s, '…', %s)"
        " FROM search_post_fts WHERE search_post_fts MATCH %s AND rowid BETWEEN %s AND %s"
        f" AND +rowid IN ({', '.join(['%s'] * len(post_ids))})",
        [
            *(*_MARKS, *_MARKS, SNIPPET_TOKENS, *_MARKS, SNIPPET_TOKENS),
            *(match, min(post_ids), max(post_ids), *post_ids),
        ],
    )
    return {int(row[0]): (row[1], row[2], row[3]) for row in cur.fetchall()}


def _visible_board_ids(viewer: Actor | None, board: Board | None) -> list[int]:
    boards = access.visible_boards(viewer)
    if board is not None:
        boards = boards.filter(pk=board.pk)
    return list(boards.values_list("pk", flat=True))


def _decode(cursor: str) -> tuple[float, int]:
    last_score, last_id = decode_cursor(cursor, length=2)
    return float(last_score), int(last_id)
