"""Similar-title suggestions answer from what the visitor may see, and nothing else.

A word that occurs only in titles the visitor may not see (a members-only
board, a hidden post, a deleted post) must change the suggestions exactly as
much as a word that occurs nowhere: otherwise counting suggestions tells
whether a private title holds that word. Runs on each database's backend.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.search.tests.conftest import Committed, MakePost

pytestmark = pytest.mark.django_db

#: Letters in no title at all; a word made of them is compared with a word of
#: the same length, as trigram similarity depends on length.
NONSENSE = "zqxwvykjfghbnmpt"


def unseen(word: str) -> str:
    return NONSENSE[: len(word)]


@pytest.fixture
def titles(
    make_post: MakePost, committed: Committed, private_board: Board, moderator: User
) -> None:
    make_post("Dark mode for the mobile app")
    make_post("Dark mode schedule")
    make_post("Acquisition of Dark Zebrafish", board=private_board)
    hidden = make_post("Dark walrus rebrand")
    deleted = make_post("Dark pelican layoffs")
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
    with committed():
        services.post_delete(post=deleted, actor=moderator)


def _page_ids(client: Client, title: str) -> list[object]:
    response = client.get("/search/similar/", {"board": "features", "title": title})
    assert response.status_code == 200
    return [row["id"] for row in response.json()]


def _api_ids(title: str) -> list[object]:
    response = ApiClient().get(f"/boards/features/similar?title={title.replace(' ', '%20')}")
    assert response.status_code == 200
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize(
    ("before", "word", "after"),
    [
        ("dark mode", "zebrafish", ""),  # members-only board
        ("dark mode", "walrus", ""),  # hidden post
        ("dark mode", "pelican", ""),  # deleted post
        ("dark", "zebrafish", "mode"),  # not the last word
        ("dark mode", "zebraf", ""),  # half-typed last word
        ("dark mode", "zebrafsh", ""),  # a typo of an unseen word
        ("dark mode", "acquisition", ""),
        ("dark mode", "layoffs", ""),
    ],
)
def test_suggestions_do_not_depend_on_titles_the_visitor_cannot_see(
    titles: None, outsider_client: Client, before: str, word: str, after: str, settings: Any
) -> None:
    # The lexical method alone: the meaning of a typed word rightly moves the
    # semantic ranking, so the two words would not compare. The semantic part
    # is checked in monoboard/similar/tests (with and without unseen posts).
    settings.SIMILAR_SEMANTIC = False
    typed = " ".join(w for w in (before, word, after) if w)
    control = " ".join(w for w in (before, unseen(word), after) if w)
    expected = _page_ids(outsider_client, control)
    assert _page_ids(outsider_client, typed) == expected
    assert _api_ids(typed) == _api_ids(control) == expected


def test_visible_titles_are_suggested(titles: None, outsider_client: Client) -> None:
    assert len(_page_ids(outsider_client, "dark mode")) == 2
    assert len(_page_ids(outsider_client, f"dark mode {unseen('walrus')}")) == 2


def test_a_word_only_in_unseen_titles_finds_nothing_by_itself(
    titles: None, outsider_client: Client
) -> None:
    for word in ("zebrafish", "walrus", "pelican", "zebraf"):
        assert _page_ids(outsider_client, word) == []
        assert _api_ids(word) == []
