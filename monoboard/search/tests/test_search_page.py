"""The /search/ page, through HTTP: ranking, snippets, filters, privacy, hostile input."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Status
from monoboard.search.tests.conftest import Committed, MakePost

pytestmark = pytest.mark.django_db


def hit_ids(response: object) -> list[int]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return [int(i) for i in re.findall(r'data-testid="search-hit" data-post-id="(\d+)"', html)]


def search(client: Client, **params: str) -> list[int]:
    response = client.get("/search/", params)
    assert response.status_code == 200
    return hit_ids(response)


def test_empty_page_explains_search(outsider_client: Client) -> None:
    response = outsider_client.get("/search/")
    assert response.status_code == 200
    assert b'data-testid="search-empty"' in response.content


def test_title_match_ranks_above_body_match(make_post: MakePost, outsider_client: Client) -> None:
    in_body = make_post("Keyboard shortcuts", "It would help to have a dark theme for late nights.")
    in_title = make_post("Dark theme for the dashboard", "Easier on the eyes.")
    make_post("Export to CSV", "Nothing related here.")
    assert search(outsider_client, q="dark theme") == [in_title.pk, in_body.pk]


def test_matches_are_highlighted_and_prefix_matches_last_word(
    make_post: MakePost, outsider_client: Client
) -> None:
    make_post("Email notifications", "Send notifications when someone replies to my idea.")
    response = outsider_client.get("/search/", {"q": "notif"})
    html = response.content.decode()
    assert "<mark>notifications</mark>" in html
    assert "Email <mark>notifications</mark>" in html
    # A longer half-typed word whose stem differs from the stored word's stem.
    assert (
        b"<mark>notifications</mark>"
        in outsider_client.get("/search/", {"q": "notificati"}).content
    )


def test_comments_are_searched(
    make_post: MakePost, committed: Committed, other_member: User, outsider_client: Client
) -> None:
    post = make_post("Calendar view")
    with committed():
        services.comment_create(post=post, author=other_member, body="Would love iCal export too")
    response = outsider_client.get("/search/", {"q": "ical"})
    assert hit_ids(response) == [post.pk]
    assert b"In comments:" in response.content
    assert b"<mark>iCal</mark>" in response.content


def test_board_and_status_filters(
    make_post: MakePost,
    committed: Committed,
    moderator: User,
    member_client: Client,
    public_board: Board,
) -> None:
    other = Board.objects.create(name="Bugs", slug="bugs")
    on_public = make_post("Faster search results")
    on_other = make_post("Search crashes on emoji", board=other)
    assert set(search(member_client, q="search")) == {on_public.pk, on_other.pk}
    assert search(member_client, q="search", board="bugs") == [on_other.pk]

    planned = Status.objects.get(slug="planned")
    with committed():
        services.post_set_status(post=on_public, actor=moderator, status=planned)
    assert search(member_client, q="search", status="planned") == [on_public.pk]
    assert search(member_client, q="search", status="planned", board="bugs") == []


def test_private_board_posts_only_for_members(
    make_post: MakePost,
    private_board: Board,
    outsider_client: Client,
    member_client: Client,
) -> None:
    secret = make_post("Roadmap for the secret project", board=private_board)
    public = make_post("Public roadmap page")
    assert search(outsider_client, q="roadmap") == [public.pk]
    assert set(search(member_client, q="roadmap")) == {secret.pk, public.pk}
    # Naming the private board is the same as naming a board that does not exist.
    assert outsider_client.get("/search/", {"q": "roadmap", "board": "internal"}).status_code == 404


def test_hidden_and_merged_posts_are_excluded(
    make_post: MakePost, committed: Committed, moderator: User, moderator_client: Client
) -> None:
    hidden = make_post("Spam about cheap widgets")
    source = make_post("Widgets in the sidebar")
    target = make_post("Sidebar widgets")
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
        services.post_merge(source=source, target=target, actor=moderator)
    assert search(moderator_client, q="widgets") == [target.pk]
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=False)
        services.post_unmerge(source=source, actor=moderator)
    assert set(search(moderator_client, q="widgets")) == {hidden.pk, source.pk, target.pk}


HOSTILE = [
    '"',
    "AND OR",
    "*",
    "NEAR(",
    "title:",
    "(a OR",
    "^x",
    "-",
    "''",
    "ü ß 日本語 🚀",
    "a" * 300,
]


def test_hostile_queries_do_not_error(make_post: MakePost, outsider_client: Client) -> None:
    make_post("Ordinary idea", "Nothing special")
    for query in HOSTILE:
        response = outsider_client.get("/search/", {"q": query})
        assert response.status_code == 200, query


def test_unicode_words_are_found(make_post: MakePost, outsider_client: Client) -> None:
    post = make_post("Übersetzung ins Deutsche", "Bitte auf Deutsch")
    assert search(outsider_client, q="übersetzung") == [post.pk]


def test_markup_in_posts_is_escaped_in_results(
    make_post: MakePost, outsider_client: Client
) -> None:
    make_post(
        "<script>alert(1)</script> payload",
        'The payload <img src=x onerror="alert(2)"> is here \ue000 with a fake marker',
    )
    html = outsider_client.get("/search/", {"q": "payload"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>payload</mark>" in html
    assert "<img" not in html  # SQLite shows it escaped; PostgreSQL's ts_headline drops tags
    # Only the database's own markers become <mark>: one in the title, one in the body.
    assert html.count("<mark>") == 2


def test_no_results_help(make_post: MakePost, outsider_client: Client) -> None:
    make_post("Something else")
    response = outsider_client.get("/search/", {"q": "zebra"})
    assert b'data-testid="search-no-results"' in response.content


def test_results_page_through_with_cursor(
    make_post: MakePost, outsider_client: Client, settings: object
) -> None:
    settings.SEARCH_RESULTS_PER_PAGE = 2  # type: ignore[attr-defined]
    posts = [make_post(f"Import from tool number {i}") for i in range(5)]
    seen: list[int] = []
    response = outsider_client.get("/search/", {"q": "import"})
    for _ in range(5):
        seen += hit_ids(response)
        match = re.search(r'data-testid="search-next" href="\?([^"]+)"', response.content.decode())
        if not match:
            break
        response = outsider_client.get("/search/?" + match.group(1).replace("&amp;", "&"))
    assert sorted(seen) == sorted(p.pk for p in posts)
    assert len(seen) == 5


def test_damaged_cursor_is_explained(outsider_client: Client) -> None:
    response = outsider_client.get("/search/", {"q": "x", "after": "!!!"})
    assert response.status_code == 200
    assert b"damaged" in response.content
