"""Voting through HTTP: JSON for the script, redirects without it, exact counts."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import client_for, make_user
from monoboard.accounts.models import User
from monoboard.boards.models import Board, Post, Status, Vote
from monoboard.boards.tests.pages import action_url, make_post, post_url


@pytest.mark.django_db
def test_vote_toggle_replies_with_json_and_shows_the_state(
    member_client: Client, public_board: Board, other_member: User
) -> None:
    post = make_post(public_board, other_member)
    url = action_url(post, "vote")
    first = member_client.post(url, HTTP_ACCEPT="application/json")
    assert first.json() == {"voted": True, "vote_count": 2}
    page = member_client.get(post_url(post)).text
    assert 'aria-pressed="true"' in page
    assert 'data-testid="vote-count">2<' in page
    second = member_client.post(url, HTTP_ACCEPT="application/json")
    assert second.json() == {"voted": False, "vote_count": 1}


@pytest.mark.django_db
def test_vote_without_script_redirects_back(
    member_client: Client, public_board: Board, other_member: User
) -> None:
    post = make_post(public_board, other_member)
    board_url = reverse("boards:board", args=[public_board.slug])
    response = member_client.post(action_url(post, "vote"), {"next": f"{board_url}#post-1"})
    assert response.status_code == 302
    assert response["Location"] == f"{board_url}#post-1"
    evil = member_client.post(action_url(post, "vote"), {"next": "https://evil.example/"})
    assert evil["Location"] == post_url(post)
    assert Post.objects.get(pk=post.pk).vote_count == 1


@pytest.mark.django_db
def test_visitor_vote_goes_to_sign_in_with_next(
    outsider_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    response = outsider_client.post(action_url(post, "vote"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin") + "?next=")
    as_json = outsider_client.post(action_url(post, "vote"), HTTP_ACCEPT="application/json")
    assert as_json.status_code == 401
    assert "signin_url" in as_json.json()
    assert Vote.objects.filter(post=post).count() == 1


@pytest.mark.django_db
def test_vote_is_get_proof(member_client: Client, public_board: Board, member: User) -> None:
    post = make_post(public_board, member)
    assert member_client.get(action_url(post, "vote")).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_concurrent_toggles_count_every_vote_exactly_once() -> None:
    """6 users toggle 5 times each (net: voted), one user toggles from two
    threads at once; the stored count always equals the rows. Eight threads
    plus the test's own connection stay within PostgreSQL's default pool."""
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    author = make_user("author@example.com")
    board = Board.objects.create(name="Race", slug="race")
    post = make_post(board, author, title="Race condition")
    users = [make_user(f"voter{i}@example.com") for i in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def toggle(user: User, times: int) -> None:
        try:
            client = client_for(user)
            start.wait(timeout=30)
            for _ in range(times):
                response = client.post(action_url(post, "vote"), HTTP_ACCEPT="application/json")
                assert response.status_code == 200, response.content
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=toggle, args=(u, 5)) for u in users]
    # The author takes back and re-adds their vote from two threads: 2 + 2 = 4 toggles.
    threads += [threading.Thread(target=toggle, args=(author, 2)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    post.refresh_from_db()
    rows = Vote.objects.filter(post=post).count()
    assert post.vote_count == rows
    assert rows == 7  # 6 voters with an odd number of toggles, and the author back again
