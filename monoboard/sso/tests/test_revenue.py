"""Company, plan and revenue from single sign-on: admins sort and filter posts by
their voters' revenue (each company once) and see which companies asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts import credentials
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post
from monoboard.boards.tests.pages import post_url
from monoboard.sso.tests.conftest import admin_client, hs256

pytestmark = pytest.mark.django_db


def identify(secret: str, external_id: str, **claims: Any) -> User:
    token = hs256(secret, id=external_id, email=f"{external_id}@customer.example", **claims)
    assert Client().get("/sso/callback", {"token": token}).status_code == 302
    return User.objects.get(external_id=external_id)


ACME = {"id": "acme", "name": "Acme Ltd", "monthly_revenue": 1000}
GLOBEX = {"id": "globex", "name": "Globex", "monthly_revenue": 500}


@dataclass
class Posts:
    a: Post  # two Acme people and a person without a company (50)
    b: Post  # one Globex person
    c: Post  # a member who never came through single sign-on


@pytest.fixture
def posts(secret: str, member: User, moderator: User) -> Posts:
    board = Board.objects.create(name="Ideas", slug="ideas")
    acme1 = identify(secret, "ann", company=ACME, plan="enterprise")
    acme2 = identify(secret, "abe", company=ACME, plan="enterprise")
    globex = identify(secret, "gus", company=GLOBEX, plan="pro")
    solo = identify(secret, "sol", monthly_revenue=50)
    a = boards.post_create(board=board, author=moderator, title="Single sign-on for teams")
    b = boards.post_create(board=board, author=moderator, title="Dark mode please")
    c = boards.post_create(board=board, author=moderator, title="Export to CSV")
    for voter in (acme1, acme2, solo):
        boards.vote_toggle(post=a, user=voter)
    boards.vote_toggle(post=b, user=globex)
    boards.vote_toggle(post=c, user=member)
    return Posts(a, b, c)


def api(user: User | None, path: str, **params: Any) -> Any:
    headers = {}
    if user is not None:
        headers["Authorization"] = (
            f"Bearer {credentials.api_key_create(actor=user, name='t').secret}"
        )
    return Client().get(f"/api/v1{path}", params, headers=headers)


def test_posts_sort_by_revenue_counting_each_company_once(posts: Posts, admin: User) -> None:
    rows = api(admin, "/revenue/posts").json()
    assert [(r["id"], r["revenue"]) for r in rows] == [
        (posts.a.pk, 1050),
        (posts.b.pk, 500),
        (posts.c.pk, 0),
    ]
    assert rows[0]["vote_count"] == 4  # and the author's own vote (no revenue)


def test_filters_by_revenue_company_and_board(posts: Posts, admin: User) -> None:
    assert [r["id"] for r in api(admin, "/revenue/posts", min_revenue=600).json()] == [posts.a.pk]
    assert [r["id"] for r in api(admin, "/revenue/posts", company="globex").json()] == [posts.b.pk]
    assert [r["id"] for r in api(admin, "/revenue/posts", company="Acme Ltd").json()] == [
        posts.a.pk
    ]
    assert api(admin, "/revenue/posts", board="nope").json() == []
    bad = api(admin, "/revenue/posts", min_revenue=-1)
    assert bad.status_code == 422


def test_which_companies_asked_in_the_api(posts: Posts, admin: User) -> None:
    body = api(admin, f"/posts/{posts.a.pk}/companies").json()
    assert body["revenue"] == 1050
    assert body["companies"] == [
        {
            "id": "acme",
            "name": "Acme Ltd",
            "plan": "enterprise",
            "monthly_revenue": 1000,
            "voters": 2,
        }
    ]


def test_only_admins_see_revenue(posts: Posts, member: User, moderator: User) -> None:
    assert api(None, "/revenue/posts").status_code == 401
    assert api(member, "/revenue/posts").status_code == 403
    assert api(moderator, "/revenue/posts").status_code == 403
    assert api(moderator, f"/posts/{posts.a.pk}/companies").status_code == 403
    assert api(None, f"/posts/{posts.a.pk}/companies").status_code == 401
    page = Client()
    page.force_login(moderator)
    assert "Acme Ltd" not in page.get(post_url(posts.a)).content.decode()
    assert page.get("/sso/revenue/").status_code == 403


def test_a_new_token_updates_the_company_revenue(secret: str, posts: Posts, admin: User) -> None:
    identify(secret, "ann", company={**ACME, "monthly_revenue": 3000})
    rows = api(admin, "/revenue/posts").json()
    assert rows[0]["revenue"] == 3050


def test_the_post_page_and_the_revenue_page_for_admins(posts: Posts, admin: User) -> None:
    client = admin_client(admin)
    page = client.get(post_url(posts.a)).content.decode()
    assert 'data-testid="companies"' in page
    assert "Acme Ltd" in page and "1050 a month" in page
    report = client.get("/sso/revenue/").content.decode()
    assert report.index("Single sign-on for teams") < report.index("Dark mode please")
    assert 'data-testid="revenue-' + str(posts.a.pk) + '">1,050<' in report
    filtered = client.get("/sso/revenue/", {"min_revenue": "600"}).content.decode()
    assert "Dark mode please" not in filtered
    bad = client.get("/sso/revenue/", {"min_revenue": "-5"})
    assert bad.status_code == 400
    assert "greater than or equal to 0" in bad.content.decode()


@pytest.mark.parametrize("params", [{"board": "\x00"}, {"company": "a\x00b"}, {"limit": 0}])
def test_odd_filters_are_an_answer_not_an_error(
    posts: Posts, admin: User, params: dict[str, Any]
) -> None:
    response = api(admin, "/revenue/posts", **params)
    assert response.status_code in (200, 400, 422), response.content
