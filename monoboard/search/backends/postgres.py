"""Stage-2 search: PostgreSQL full-text search and pg_trgm, same interface.

``search_pg_document`` (created by this app's migration, on PostgreSQL only)
holds one row per listed post with a stored generated ``tsvector`` (title
weight A, body B, comments C) under a GIN index, and a GIN trigram index on
the title for similar-title lookups. Queries are parsed by
``websearch_to_tsquery`` (never raises on user input), ranked by
``ts_rank_cd`` and highlighted by ``ts_headline``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from monoboard.boards import access
from monoboard.lib.cursor import decode_cursor
from monoboard.search.backends import terms
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

SIMILAR_CANDIDATES = 40
PREFIX_LETTERS = 5
WORD_THRESHOLD = 0.3
_HEADLINE = f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}"
# The typed words as a web-search query, or-ed with the same words whose last
# one is a prefix (people search while still typing it).
_QUERY = (
    "(websearch_to_tsquery('english', %s)"
    " || (websearch_to_tsquery('english', %s) && to_tsquery('english', %s)))"
)
_SCORE = "(-ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', d.document, q.query))::float8"
_TITLES = " FROM search_pg_document d JOIN boards_post p ON p.id = d.post_id"
_FROM = f"{_TITLES} CROSS JOIN q"


class PostgresBackend:
    vendor = "postgresql"

    def index_post(self, post_id: int) -> None:
        self.index_posts([post_id])

    def index_posts(self, post_ids: Iterable[int]) -> None:
        ids = list(post_ids)
        docs = load_documents(ids)
        kept = [d.post_id for d in docs]
        with transaction.atomic(using=write_alias()), connections[write_alias()].cursor() as cur:
            # Upsert, so two writers indexing one post at once (the consumer
            # and `manage.py reindex`) both succeed instead of one failing on
            # the primary key; the later commit wins, and both read the post.
            cur.execute(
                "DELETE FROM search_pg_document WHERE post_id = ANY(%s)"
                " AND NOT (post_id = ANY(%s))",
                [ids, kept],
            )
            cur.executemany(
                "INSERT INTO search_pg_document (post_id, title, body, comments)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (post_id) DO UPDATE SET"
                " title = EXCLUDED.title, body = EXCLUDED.body, comments = EXCLUDED.comments",
                [(d.post_id, d.title, d.body, d.comments) for d in docs],
            )

    def remove_post(self, post_id: int) -> None:
        with connections[write_alias()].cursor() as cur:
            cur.execute("DELETE FROM search_pg_document WHERE post_id = %s", [post_id])

    def clear(self) -> None:
        with connections[write_alias()].cursor() as cur:
            cur.execute("DELETE FROM search_pg_document")

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
        boards = access.visible_boards(viewer)
        if board is not None:
            boards = boards.filter(pk=board.pk)
        board_ids = list(boards.values_list("pk", flat=True))
        if not board_ids:
            return SearchResults(hits=[], next_cursor=None)
        text = " ".join(words)
        where = ["d.document @@ q.query", "p.is_listed", "p.board_id = ANY(%s)"]
        params: list[Any] = [board_ids]
        if status is not None:
            where.append("p.status_id = %s")
            params.append(status.pk)
        query_params = [
            text,
            " ".join(words[:-1]),
            # Stems are short ("notifications" -> "notif"): a long half-typed
            # word only finds its stem through its first few letters.
            # One or two letters are a whole word (terms.MIN_PREFIX_LETTERS).
            f"{words[-1][:PREFIX_LETTERS]}:*" if terms.is_prefix(words[-1]) else words[-1],
        ]
        pool = rank_pool()
        with connections[read_alias()].cursor() as cur:
            oldest = _oldest_of_newest(
                cur,
                f"WITH q AS (SELECT {_QUERY} AS query) SELECT d.post_id{_FROM}",
                where,
                [*query_params, *params],
                pool,
            )
            if oldest is not None:
                where.append("d.post_id >= %s")
                params.append(oldest)
            if after is not None:
                where.append(f"({_SCORE} > %s OR ({_SCORE} = %s AND p.id > %s))")
                params += [after[0], after[0], after[1]]
            cur.execute(
                f"WITH q AS (SELECT {_QUERY} AS query)"
                f" SELECT p.id, {_SCORE} AS score{_FROM}"
                f" WHERE {' AND '.join(where)} ORDER BY score, p.id LIMIT %s",
                [*query_params, *params, limit + 1],
            )
            ranked = cur.fetchall()
            marked = _headlines(cur, query_params, [post_id for post_id, _ in ranked[:limit]])
        return results_page(
            ranked, marked, limit=limit, ranked_among=pool if oldest is not None else None
        )

    def similar(
        self, title: str, *, viewer: Actor | None, board: Board, limit: int = 5
    ) -> list[SimilarHit]:
        if not access.can_view_board(viewer, board):
            return []
        wanted = terms.title_words(title)
        if not terms.trigrams(wanted):
            return []
        text = " ".join(wanted)
        with transaction.atomic(using=read_alias()), connections[read_alias()].cursor() as cur:
            # The default (0.6) is meant for whole words; half-typed titles and
            # typos need a looser first cut, which rank_similar then tightens.
            cur.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_THRESHOLD:.2f}")
            where = ["%s <%% d.title", "p.board_id = %s", "p.is_listed"]
            params: list[Any] = [text, board.pk]
            oldest = _oldest_of_newest(
                cur, f"SELECT d.post_id{_TITLES}", where, params, rank_pool()
            )
            if oldest is not None:
                where.append("d.post_id >= %s")
                params.append(oldest)
            cur.execute(
                f"SELECT p.id, d.title{_TITLES} WHERE {' AND '.join(where)}"
                " ORDER BY word_similarity(%s, d.title) DESC LIMIT %s",
                [*params, text, SIMILAR_CANDIDATES],
            )
            candidates = cur.fetchall()
        return rank_similar(wanted, candidates, limit=limit)


def _oldest_of_newest(
    cur: Any, select: str, where: list[str], params: list[Any], pool: int
) -> int | None:
    """The post id of the ``pool``-th newest match, or None unless more match.

    ``select`` selects ``d.post_id`` from the documents. No rank is computed
    here; ranking then reads only the matches from this id on (``rank_pool``).
    """
    cur.execute(
        f"{select} WHERE {' AND '.join(where)} ORDER BY d.post_id DESC LIMIT 2 OFFSET %s",
        [*params, pool - 1],
    )
    rows = cur.fetchall()
    return int(rows[0][0]) if len(rows) == 2 else None


def _headlines(
    cur: Any, query_params: list[Any], post_ids: list[int]
) -> dict[int, tuple[str, str, str]]:
    """Marked title, body and comments excerpts of the posts shown, made for
    those alone: ``ts_headline`` parses each text again."""
    if not post_ids:
        return {}
    cur.execute(
        f"WITH q AS (SELECT {_QUERY} AS query)"  # noqa: S608  (only placeholders interpolated)
        " SELECT d.post_id,"
        " ts_headline('english', d.title, q.query, %s),"
        " ts_headline('english', d.body, q.query, %s),"
        " ts_headline('english', d.comments, q.query, %s)"
        " FROM search_pg_document d CROSS JOIN q WHERE d.post_id = ANY(%s)",
        [
            *query_params,
            f"{_HEADLINE}, HighlightAll=true",
            f"{_HEADLINE}, MaxWords=30, MinWords=12",
            f"{_HEADLINE}, MaxWords=30, MinWords=12",
            post_ids,
        ],
    )
    return {int(row[0]): (row[1], row[2], row[3]) for row in cur.fetchall()}


def _decode(cursor: str) -> tuple[float, int]:
    last_score, last_id = decode_cursor(cursor, length=2)
    return float(last_score), int(last_id)
