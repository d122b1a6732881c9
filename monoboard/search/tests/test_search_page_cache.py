"""Anonymous search pages are shared through the page cache; nothing stale, nothing personal.

A search page for visitors who are not signed in is the same HTML for every
visitor, so it is kept in the anonymous page cache like a board page: keyed
by the full URL (the query, board, status and cursor) and by the newest
event id, so any write makes every cached search page stale. Transactional
tests: the key moves on events, written only by real commits.
"""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.core.consumers import drain
from monoboard.pagecache import HEADER
from monoboard.search.tests.conftest import MakePost

pytestmark = pytest.mark.django_db(transaction=True)


def served(client: Client, q: str) -> tuple[str | None, set[int]]:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    ids = {int(i) for i in re.findall(r'data-post-id="(\d+)"', response.content.decode())}
    return response.headers.get(HEADER), ids


def test_visitors_share_search_pages_until_a_write(
    make_post: MakePost, outsider_client: Client
) -> None:
    first = make_post("Dark mode", "Please add a dark mode.")
    drain()
    assert served(outsider_client, "dark mode") == ("miss", {first.pk})
    assert served(Client(), "dark mode") == ("hit", {first.pk})  # another visitor
    assert served(Client(), "dark") == ("miss", {first.pk})  # another query, its own page

    second = make_post("Dark mode for the editor", "Also the editor.")
    drain()  # the index follows the write, as the worker does
    assert served(Client(), "dark mode") == ("miss", {first.pk, second.pk})


def test_signed_in_members_never_read_or_fill_the_cache(
    make_post: MakePost, member_client: Client, member: User
) -> None:
    make_post("Dark mode", "Please add a dark mode.")
    drain()
    header, _ = served(member_client, "dark mode")
    assert header is None
    assert served(Client(), "dark mode")[0] == "miss"  # the member's page was not stored


def test_no_page_is_shared_while_the_index_is_behind_the_log(
    make_post: MakePost, outsider_client: Client, member: User, public_board: Board
) -> None:
    first = make_post("Dark mode", "Please add a dark mode.")
    drain()
    assert served(outsider_client, "dark mode") == ("miss", {first.pk})
    # A write the index has not read yet: the page shows what the index
    # holds, and is neither taken from nor put in the shared cache.
    second = services.post_create(board=public_board, author=member, title="Dark mode, again")
    assert served(Client(), "dark mode") == (None, {first.pk})
    assert served(Client(), "dark mode") == (None, {first.pk})
    drain()  # the worker's consumers catch up
    assert served(Client(), "dark mode") == ("miss", {first.pk, second.pk})
    assert served(Client(), "dark mode") == ("hit", {first.pk, second.pk})


def test_a_reindex_makes_shared_pages_stale(make_post: MakePost, outsider_client: Client) -> None:
    from django.core.management import call_command

    from monoboard.search import backend

    post = make_post("Dark mode", "Please add a dark mode.")
    drain()
    backend().clear()  # an index lost, e.g. a restored backup
    assert served(outsider_client, "dark mode") == ("miss", set())
    call_command("reindex", "--no-progress", stdout=io.StringIO())
    assert served(Client(), "dark mode") == (None, {post.pk})  # the reindex is an event
    drain()
    assert served(Client(), "dark mode") == ("miss", {post.pk})
