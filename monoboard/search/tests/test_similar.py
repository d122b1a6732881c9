"""GET /search/similar/: titles like the one being typed, on one board."""

from __future__ import annotations

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.search.tests.conftest import Committed, MakePost

pytestmark = pytest.mark.django_db


def similar(client: Client, board: str, title: str) -> list[dict[str, object]]:
    response = client.get("/search/similar/", {"board": board, "title": title})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data: list[dict[str, object]] = response.json()
    return data


def test_finds_similar_titles_with_typos_and_partial_words(
    make_post: MakePost, member_client: Client
) -> None:
    dark = make_post("Dark mode for the mobile app")
    notif = make_post("Email notifications for replies")
    make_post("Export boards to CSV")
    assert [p["id"] for p in similar(member_client, "features", "dark mod")] == [dark.pk]
    assert [p["id"] for p in similar(member_client, "features", "emial notifcations")] == [notif.pk]
    assert [p["id"] for p in similar(member_client, "features", "notif")] == [notif.pk]
    assert [p["id"] for p in similar(member_client, "features", "notificatio")] == [notif.pk]


def test_swapped_letters_in_short_words(make_post: MakePost, member_client: Client) -> None:
    saved = make_post("Saved filters on the board page")
    make_post("Recurring tasks")
    assert [p["id"] for p in similar(member_client, "features", "svaed filters")] == [saved.pk]


def test_returns_the_fields_the_form_needs(
    make_post: MakePost, member_client: Client, member: User
) -> None:
    post = make_post("Dark mode for the mobile app")
    [found] = similar(member_client, "features", "Dark mode")
    assert found == {
        "id": post.pk,
        "title": "Dark mode for the mobile app",
        "url": f"/b/features/p/{post.pk}/",
        "vote_url": f"/b/features/p/{post.pk}/vote/",
        "vote_count": 1,
        "status": "Open",
        "voted": True,  # the author votes for their own post
    }


def test_at_most_five_and_stop_words_alone_match_nothing(
    make_post: MakePost, member_client: Client
) -> None:
    for i in range(8):
        make_post(f"Slack integration idea {i}")
    make_post("Please add the option for it")
    assert len(similar(member_client, "features", "slack integration")) == 5
    assert similar(member_client, "features", "please add the") == []
    assert similar(member_client, "features", "zz") == []


def test_only_the_named_board_and_listed_posts(
    make_post: MakePost,
    committed: Committed,
    moderator: User,
    member_client: Client,
    public_board: Board,
) -> None:
    other = Board.objects.create(name="Bugs", slug="bugs")
    here = make_post("Keyboard shortcuts")
    make_post("Keyboard shortcuts broken", board=other)
    hidden = make_post("Keyboard shortcut cheatsheet")
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
    assert [p["id"] for p in similar(member_client, "features", "keyboard shortcuts")] == [here.pk]


def test_private_boards_stay_private(
    make_post: MakePost, private_board: Board, outsider_client: Client, member_client: Client
) -> None:
    secret = make_post("Acquisition plans", board=private_board)
    assert (
        outsider_client.get(
            "/search/similar/", {"board": "internal", "title": "acquisition"}
        ).status_code
        == 404
    )
    assert [p["id"] for p in similar(member_client, "internal", "acquisition")] == [secret.pk]


def test_unknown_board_is_404(member_client: Client) -> None:
    response = member_client.get("/search/similar/", {"board": "nope", "title": "anything"})
    assert response.status_code == 404


def test_hostile_titles(make_post: MakePost, member_client: Client) -> None:
    make_post("Ordinary idea")
    for title in ['"', "NEAR(", "*", "' OR 1=1 --", "日本語のタイトル", "x" * 500]:
        similar(member_client, "features", title)


def test_new_post_form_and_top_bar_link_here(member_client: Client, public_board: Board) -> None:
    board_page = member_client.get("/b/features/").content.decode()
    assert 'data-similar-url="/search/similar/" data-board="features"' in board_page
    assert "search/similar.js" in board_page
    assert 'action="/search/"' in member_client.get("/").content.decode()
