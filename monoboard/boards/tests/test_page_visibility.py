"""Who sees which page: members-only boards and hidden posts are 404, never 403."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.boards.tests.pages import make_post, post_url

pytestmark = pytest.mark.django_db

PERSONAS = ["admin_client", "moderator_client", "member_client", "outsider_client"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_board_and_post_are_visible_to_everyone(
    request: pytest.FixtureRequest, persona: str, public_board: Board, member: User
) -> None:
    client: Client = request.getfixturevalue(persona)
    post = make_post(public_board, member, title="Export to CSV")
    board_page = client.get(reverse("boards:board", args=[public_board.slug]))
    assert board_page.status_code == 200
    assert "Export to CSV" in board_page.text
    assert client.get(post_url(post)).status_code == 200
    assert "Feature requests" in client.get(reverse("boards:home")).text


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_client", 200),
        ("moderator_client", 200),
        ("member_client", 200),
        ("outsider_client", 404),
    ],
)
def test_members_only_board_is_missing_for_visitors(
    request: pytest.FixtureRequest, persona: str, expected: int, private_board: Board, member: User
) -> None:
    client: Client = request.getfixturevalue(persona)
    post = make_post(private_board, member, title="Secret plan")
    assert client.get(reverse("boards:board", args=[private_board.slug])).status_code == expected
    assert client.get(post_url(post)).status_code == expected
    home = client.get(reverse("boards:home")).text
    assert ("Internal" in home) == (expected == 200)
    roadmap = client.get(reverse("boards:roadmap"))
    assert roadmap.status_code == 200


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_client", 200),
        ("moderator_client", 200),
        ("member_client", 200),
        ("outsider_client", 404),
    ],
)
def test_hidden_post_is_missing_except_for_author_and_moderators(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    public_board: Board,
    member: User,
    moderator: User,
) -> None:
    client: Client = request.getfixturevalue(persona)
    post = make_post(public_board, member, title="Hide me please")
    services.post_set_hidden(post=post, actor=moderator, hidden=True)
    response = client.get(post_url(post))
    assert response.status_code == expected
    if expected == 404:
        assert "Page not found" in response.text
    listing = client.get(reverse("boards:board", args=[public_board.slug])).text
    assert "Hide me please" not in listing


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_client", 200),
        ("moderator_client", 200),
        ("member_client", 404),  # mem@example.com: not an allowed domain
        ("outsider_client", 404),
    ],
)
def test_a_board_with_access_rules_is_missing_for_those_outside_them(
    request: pytest.FixtureRequest, persona: str, expected: int, public_board: Board, member: User
) -> None:
    """Access rules (monoboard/sso, boards/access.py) on top of public/private."""
    client: Client = request.getfixturevalue(persona)
    post = make_post(public_board, member, title="Customers only")
    Board.objects.filter(pk=public_board.pk).update(allowed_email_domains=",customer.example,")
    assert client.get(reverse("boards:board", args=[public_board.slug])).status_code == expected
    assert client.get(post_url(post)).status_code == expected
    assert ("Feature requests" in client.get(reverse("boards:home")).text) == (expected == 200)


def test_hidden_post_is_missing_for_another_member(
    public_board: Board, member: User, other_member: User, moderator: User
) -> None:
    from conftest import client_for

    post = make_post(public_board, member, title="Hide me please")
    services.post_set_hidden(post=post, actor=moderator, hidden=True)
    client = client_for(other_member)
    assert client.get(post_url(post)).status_code == 404
    assert client.post(reverse("boards:vote", args=[public_board.slug, post.pk])).status_code == 404


def test_unknown_board_and_post_give_the_friendly_404(outsider_client: Client) -> None:
    response = outsider_client.get("/b/nope/")
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.text
    assert outsider_client.get("/b/nope/p/999-x/").status_code == 404


def test_home_shows_site_name_tagline_and_listed_post_counts(
    outsider_client: Client, public_board: Board, member: User, moderator: User
) -> None:
    for title in ("First idea", "Second idea", "Third idea"):
        make_post(public_board, member, title=title)
    hidden = make_post(public_board, member, title="Hidden idea")
    services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
    page = outsider_client.get(reverse("boards:home")).text
    assert 'data-testid="site-name">monoboard<' in page
    assert "Tell us what to build next." in page
    assert "3 posts" in page


def test_wrong_slug_redirects_to_the_canonical_address(
    outsider_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member, title="Keyboard shortcuts")
    wrong = reverse("boards:post", args=[public_board.slug, post.pk, "old-title"])
    response = outsider_client.get(wrong)
    assert response.status_code == 301
    assert response["Location"] == post_url(post)
    short = reverse("boards:post_short", args=[public_board.slug, post.pk])
    assert outsider_client.get(short)["Location"] == post_url(post)
    other = Board.objects.create(name="Bugs", slug="bugs")
    assert outsider_client.get(f"/b/{other.slug}/p/{post.pk}-{post.slug}/").status_code == 404
