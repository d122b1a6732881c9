"""Raw SQL asks the database router where to go, like the ORM does.

A router that records what it is asked stands in for the replica router of a
later stage: indexing must ask where posts are written, searching where
they are read, and the page cache where the event log is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.core.consumers import drain
from monoboard.search.tests.conftest import ensure_statuses

pytestmark = pytest.mark.django_db

asked: list[tuple[str, str]] = []


class RecordingRouter:
    """Sends everything to "default", noting each question."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        asked.append(("read", model._meta.label))
        return "default"

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        asked.append(("write", model._meta.label))
        return "default"


@pytest.fixture
def recording(settings: Any) -> Iterator[list[tuple[str, str]]]:
    from django.db import router

    settings.DATABASE_ROUTERS = [f"{__name__}.RecordingRouter"]
    router.routers = [RecordingRouter()]
    asked.clear()
    yield asked
    router.routers = []


def test_indexing_searching_and_the_page_cache_ask_the_router(
    recording: list[tuple[str, str]], member: User, public_board: Board
) -> None:
    ensure_statuses()
    services.post_create(board=public_board, author=member, title="Kanban swimlanes")
    recording.clear()
    drain()  # the index consumer writes the index
    assert ("write", "boards.Post") in recording

    recording.clear()
    page = Client().get("/search/", {"q": "swimlanes"})
    assert page.status_code == 200
    assert page.content.count(b'data-testid="search-hit"') == 1
    assert ("read", "boards.Post") in recording

    recording.clear()
    Client().get(f"/b/{public_board.slug}/")
    assert ("read", "core.Event") in recording  # the page cache's version
