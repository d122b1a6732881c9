"""Two writers indexing the same posts at once (the consumer and a reindex) both succeed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.search import backend
from monoboard.search.tests.conftest import ensure_statuses

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_concurrent_indexing_of_one_post_raises_nothing(member: User, public_board: Board) -> None:
    ensure_statuses()
    ids = [
        services.post_create(board=public_board, author=member, title=f"Gantt view {n}").pk
        for n in range(5)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def index_again() -> None:
        try:
            start.wait(10)
            for _ in range(25):
                backend().index_posts(ids)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=index_again) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    table = "search_pg_document" if connection.vendor == "postgresql" else "search_post_fts"
    key = "post_id" if connection.vendor == "postgresql" else "rowid"
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(DISTINCT {key}), count(*) FROM {table} WHERE {key} IN ({marks})",  # noqa: S608
            ids,
        )
        assert cursor.fetchone() == (5, 5)  # one entry per post, none doubled
