"""Board lists are served by the partial indexes on Post, for every sort and filter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monoboard.accounts.models import User
from monoboard.boards import selectors
from monoboard.boards.models import Board, Status
from monoboard.boards.tests.pages import make_post

pytestmark = pytest.mark.django_db

CASES = [
    ("trending", False, "post_board_trending"),
    ("top", False, "post_board_top"),
    ("new", False, "post_board_new"),
    ("trending", True, "post_status_trending"),
    ("top", True, "post_status_top"),
    ("new", True, "post_status_new"),
]


def list_query(board: Board, user: User, sort: str, status: Status | None, cursor: bool) -> str:
    filters = selectors.PostFilter(sort=sort, status=status)  # type: ignore[arg-type]
    first = selectors.board_posts(board, user, filters, limit=2)
    with CaptureQueriesContext(connection) as ctx:
        selectors.board_posts(
            board, user, filters, cursor=first.next_cursor if cursor else None, limit=2
        )
    (sql,) = [
        q["sql"]
        for q in ctx.captured_queries
        if "ORDER BY" in q["sql"] and 'FROM "boards_post"' in q["sql"]
    ]
    return sql


@pytest.mark.parametrize(("sort", "by_status", "index"), CASES)
def test_board_list_uses_its_partial_index(
    public_board: Board, member: User, sort: str, by_status: bool, index: str
) -> None:
    for i in range(5):
        make_post(public_board, member, title=f"Indexed idea {i}")
    status = Status.objects.get(slug="open") if by_status else None
    for cursor in (False, True):  # the first page, then a page after a cursor
        sql = list_query(public_board, member, sort, status, cursor)
        with connection.cursor() as cur:
            if connection.vendor != "sqlite":
                # Other databases plan by statistics; check the query at least runs.
                cur.execute(f"EXPLAIN {sql}")
                assert cur.fetchall()
                continue
            cur.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in cur.fetchall())
        assert f"USING INDEX {index}" in plan, plan
        assert "SCAN boards_post" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
