"""The anonymous page cache, through HTTP with commits as in production.

Transactional tests: the cache key moves on domain events, which are
delivered only after a real commit.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from prometheus_client import REGISTRY

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.pagecache import HEADER

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return services.post_create(board=public_board, author=member, title="Dark mode please")


def board_url(board: Board) -> str:
    return reverse("boards:board", args=[board.slug])


def post_page_url(post: Post) -> str:
    return reverse("boards:post", args=[post.board.slug, post.pk, post.slug])


def served(client: Client, url: str) -> tuple[str | None, str]:
    response = client.get(url)
    assert response.status_code == 200
    return response.headers.get(HEADER), response.content.decode()


def cache_count(result: str) -> float:
    return REGISTRY.get_sample_value("monoboard_page_cache_total", {"result": result}) or 0.0


def test_visitors_share_one_rendering_of_each_page(post: Post, outsider_client: Client) -> None:
    hits_before = cache_count("hit")
    for url in (board_url(post.board), post_page_url(post), reverse("boards:roadmap"), "/"):
        first, html = served(outsider_client, url)
        again, same = served(Client(), url)  # another visitor
        assert (first, again) == ("miss", "hit")
        assert same == html
    assert cache_count("hit") == hits_before + 4


def test_visitor_pages_hold_no_csrf_token_and_vote_links_to_sign_in(
    post: Post, outsider_client: Client
) -> None:
    _, html = served(outsider_client, board_url(post.board))
    assert "csrfmiddlewaretoken" not in html
    assert f"/accounts/signin/?next=%2Fb%2Ffeatures%2Fp%2F{post.pk}-dark-mode-please%2F" in html


def test_members_always_get_their_own_fresh_page(post: Post, member_client: Client) -> None:
    served(Client(), board_url(post.board))  # a visitor fills the cache
    for _ in range(2):
        header, html = served(member_client, board_url(post.board))
        assert header is None
        assert "csrfmiddlewaretoken" in html  # the member's vote forms


def test_a_vote_is_visible_to_the_next_visitor(
    post: Post, outsider_client: Client, other_member: User
) -> None:
    url = post_page_url(post)
    served(outsider_client, url)
    assert served(outsider_client, url)[0] == "hit"
    voter = Client()
    voter.force_login(other_member)
    vote = voter.post(
        reverse("boards:vote", args=[post.board.slug, post.pk]), HTTP_ACCEPT="application/json"
    )
    assert vote.json()["vote_count"] == 2
    header, html = served(outsider_client, url)
    assert header == "miss"
    assert '<span class="vote-count" data-testid="vote-count">2</span>' in html


def test_a_new_post_and_a_hidden_post_show_at_once(
    post: Post, outsider_client: Client, member: User, moderator: User
) -> None:
    url = board_url(post.board)
    served(outsider_client, url)
    newer = services.post_create(board=post.board, author=member, title="Export to CSV")
    header, html = served(outsider_client, url)
    assert header == "miss" and "Export to CSV" in html
    services.post_set_hidden(post=newer, actor=moderator, hidden=True)
    header, html = served(outsider_client, url)
    assert header == "miss" and "Export to CSV" not in html


def test_a_board_made_private_disappears_for_visitors_at_once(
    post: Post, outsider_client: Client, admin: User
) -> None:
    served(outsider_client, board_url(post.board))
    served(outsider_client, post_page_url(post))
    board = post.board
    services.board_update(
        actor=admin, board=board, name=board.name, description="", is_private=True
    )
    assert outsider_client.get(board_url(board)).status_code == 404
    assert outsider_client.get(post_page_url(post)).status_code == 404


def test_a_page_with_a_flash_message_is_neither_served_nor_stored(
    post: Post, outsider_client: Client, member: User
) -> None:
    url = board_url(post.board)
    bad_cursor = url + "?cursor=not-a-cursor"
    for _ in range(2):
        response = outsider_client.get(bad_cursor)
        assert response.status_code == 200
        assert HEADER not in response.headers
        assert 'data-testid="messages"' in response.content.decode()
    served(outsider_client, url)
    signed_out = Client()
    signed_out.force_login(member)
    signed_out.post(reverse("accounts:signout"))  # leaves "You are signed out."
    response = signed_out.get(url)
    assert HEADER not in response.headers
    assert "You are signed out." in response.content.decode()


@override_settings(PAGE_CACHE_SECONDS=0)
def test_zero_seconds_turns_it_off(post: Post, outsider_client: Client) -> None:
    for _ in range(2):
        assert served(outsider_client, board_url(post.board))[0] is None
