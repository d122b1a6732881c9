"""The page cache's key follows the event log, which moves only when a change commits.

A visitor's request that runs while an admin's change is still being written
stores the page under the *old* version; once the change commits, the log
has a newer event and that stored page is never served again.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.pagecache import HEADER, content_version

pytestmark = pytest.mark.django_db(transaction=True)


def visit(url: str, into: list[tuple[int, str | None]]) -> None:
    try:
        response = Client().get(url)
        into.append((response.status_code, response.headers.get(HEADER)))
    finally:
        connections.close_all()


def test_a_page_cached_while_a_board_goes_private_is_not_served_after(
    admin: User, public_board: Board
) -> None:
    url = reverse("boards:board", args=[public_board.slug])
    assert Client().get(url).status_code == 200
    before = content_version()
    seen: list[tuple[int, str | None]] = []
    with transaction.atomic():
        services.board_update(
            actor=admin, board=public_board, name=public_board.name,
            description="", is_private=True,
        )  # fmt: skip
        # Another visitor, on another connection, while this is uncommitted:
        # they still see the public board, cached under the old version.
        other = threading.Thread(target=visit, args=(url, seen))
        other.start()
        other.join(30)
        assert content_version() != before  # this transaction sees its own event
    assert seen == [(200, "hit")]
    after = Client().get(url)
    assert after.status_code == 404  # never the page stored before the commit
    assert content_version() != before


def test_a_refused_change_leaves_the_cached_pages_valid(admin: User, public_board: Board) -> None:
    url = reverse("boards:board", args=[public_board.slug])
    Client().get(url)
    version = content_version()
    with pytest.raises(Exception, match="A board needs a name"):
        services.board_update(
            actor=admin, board=public_board, name=" ", description="", is_private=True
        )
    assert content_version() == version
    assert Client().get(url).headers.get(HEADER) == "hit"
