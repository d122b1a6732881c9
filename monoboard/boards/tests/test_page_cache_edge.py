"""What a shared cache in front (nginx's edge cache) is told it may keep."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.pagecache.edge import PersonalResponsesMiddleware

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(public_board: Board, member: User) -> Post:
    return services.post_create(board=public_board, author=member, title="Dark mode please")


def board_url(board: Board) -> str:
    return reverse("boards:board", args=[board.slug])


@override_settings(EDGE_CACHE_SECONDS=4)
def test_visitor_pages_are_public_for_a_few_seconds(post: Post) -> None:
    for _ in range(2):  # the page cache's miss, then its hit
        response = Client().get(board_url(post.board))
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, s-maxage=4, max-age=0"
        assert "Cookie" in response["Vary"]
        assert not response.cookies


@override_settings(EDGE_CACHE_SECONDS=4, PAGE_CACHE_SECONDS=0)
def test_without_the_page_cache_visitor_pages_are_still_public(post: Post) -> None:
    response = Client().get(board_url(post.board))
    assert response["Cache-Control"] == "public, s-maxage=4, max-age=0"


@override_settings(EDGE_CACHE_SECONDS=0)
def test_zero_marks_nothing_public(post: Post) -> None:
    response = Client().get(board_url(post.board))
    assert "public" not in response.get("Cache-Control", "")


def test_a_member_page_is_private_and_not_stored(post: Post, member_client: Client) -> None:
    Client().get(board_url(post.board))  # a visitor fills the page cache
    response = member_client.get(board_url(post.board))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_answer_that_sets_a_cookie_is_never_public(post: Post) -> None:
    # The sign-in page has a form: it sets the CSRF cookie.
    response = Client().get("/accounts/signin/")
    assert response.cookies
    assert response["Cache-Control"] == "private, no-store"


def test_a_public_view_that_sets_a_cookie_is_made_private() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("x")
        response["Cache-Control"] = "public, s-maxage=5, max-age=0"
        response.set_cookie("csrftoken", "t")
        return response

    answer = PersonalResponsesMiddleware(view)(RequestFactory().get("/"))
    assert answer["Cache-Control"] == "private, no-store"
