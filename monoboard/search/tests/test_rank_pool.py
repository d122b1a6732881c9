"""SEARCH_RANK_POOL: past that many matches only the newest are ranked, and
the page and the API say so. Visibility and filters apply before the pool."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.search.tests.conftest import Committed, MakePost
from monoboard.search.tests.test_search_page import hit_ids

pytestmark = pytest.mark.django_db


def test_more_matches_than_the_pool_ranks_the_newest(
    make_post: MakePost, outsider_client: Client, settings: Any
) -> None:
    settings.SEARCH_RANK_POOL = 3
    oldest = make_post("Import import import from spreadsheets")  # the best match, but oldest
    older = make_post("Import contacts")
    pool = [
        make_post("Import from Trello", "Body text about boards."),
        make_post("Calendar sync", "It would be good to import holidays."),
        make_post("Import from Jira"),
    ]
    response = outsider_client.get("/search/", {"q": "import"})
    found = hit_ids(response)
    assert set(found) == {p.pk for p in pool}
    assert oldest.pk not in found and older.pk not in found
    # Within the pool the ranking holds: a title match above a body match.
    assert found[-1] == pool[1].pk
    assert b'data-testid="search-ranked-among"' in response.content
    assert b"among the newest 3" in response.content


def test_no_notice_while_every_match_is_ranked(
    make_post: MakePost, outsider_client: Client, settings: Any
) -> None:
    settings.SEARCH_RANK_POOL = 3
    posts = [make_post(f"Import option {i}") for i in range(3)]
    response = outsider_client.get("/search/", {"q": "import"})
    assert set(hit_ids(response)) == {p.pk for p in posts}
    assert b'data-testid="search-ranked-among"' not in response.content


def test_pool_counts_only_what_the_viewer_may_see(
    make_post: MakePost,
    committed: Committed,
    outsider_client: Client,
    member_client: Client,
    moderator: User,
    private_board: Board,
    settings: Any,
) -> None:
    settings.SEARCH_RANK_POOL = 2
    visible = [make_post("Import from Asana"), make_post("Import from Notion")]
    hidden = make_post("Import from Excel")
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
    private = make_post("Import from the private wiki", board=private_board, author=moderator)
    # Newer matches the visitor may not see neither fill the pool nor show.
    response = outsider_client.get("/search/", {"q": "import"})
    assert set(hit_ids(response)) == {p.pk for p in visible}
    assert b'data-testid="search-ranked-among"' not in response.content
    # A member also sees the members-only board: three matches, the newest two ranked.
    response = member_client.get("/search/", {"q": "import"})
    assert set(hit_ids(response)) == {visible[1].pk, private.pk}
    assert b'data-testid="search-ranked-among"' in response.content


def test_pages_continue_inside_the_pool(
    make_post: MakePost, outsider_client: Client, settings: Any
) -> None:
    settings.SEARCH_RANK_POOL = 4
    settings.SEARCH_RESULTS_PER_PAGE = 3
    make_post("Import option old")
    newest = [make_post(f"Import option {i}") for i in range(4)]
    first = outsider_client.get("/search/", {"q": "import"})
    cursor = first.content.decode().split("after=")[1].split('"')[0]
    second = outsider_client.get("/search/", {"q": "import", "after": cursor})
    assert sorted(hit_ids(first) + hit_ids(second)) == sorted(p.pk for p in newest)
    assert b'data-testid="search-next"' not in second.content


def test_api_reports_the_pool(make_post: MakePost, outsider_client: Client, settings: Any) -> None:
    settings.SEARCH_RANK_POOL = 2
    for i in range(2):
        make_post(f"Import option {i}")
    assert outsider_client.get("/api/v1/search", {"q": "import"}).json()["ranked_among"] is None
    make_post("Import option 2")
    page = outsider_client.get("/api/v1/search", {"q": "import"}).json()
    assert page["ranked_among"] == 2
    assert len(page["items"]) == 2


def test_similar_titles_come_from_the_newest_pool(
    make_post: MakePost, member_client: Client, settings: Any
) -> None:
    settings.SEARCH_RANK_POOL = 2
    settings.SIMILAR_SEMANTIC = False  # the pool bounds the lexical method; vectors have none
    make_post("Dark mode")  # the closest title, but outside the pool
    newer = [make_post("Dark mode for reports"), make_post("Dark mode in the mobile app")]
    response = member_client.get("/search/similar/", {"board": "features", "title": "dark mode"})
    assert {p["id"] for p in response.json()} == {p.pk for p in newer}
