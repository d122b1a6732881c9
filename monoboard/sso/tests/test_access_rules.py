"""Per-board access rules (email domains, SSO only, token roles and plans):
persona x surface. Every surface asks boards/access.py, so each persona sees a
restricted board on all of them or on none."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.test import AsyncClient, Client

from conftest import PASSWORD, make_user
from monoboard.accounts.models import Role, User
from monoboard.boards import services as boards
from monoboard.boards.models import Attachment, Board, Post, Status
from monoboard.boards.tests.images import png_upload
from monoboard.boards.tests.pages import post_url
from monoboard.core.consumers import drain
from monoboard.notifications.tests.conftest import Jobs
from monoboard.sso.tests.conftest import admin_client, hs256

pytestmark = pytest.mark.django_db

TITLE = "Invoice export for finance"

# persona -> sees the board with rules: customer.example, single sign-on only, plan pro
PERSONAS = {
    "visitor": False,
    "outsider": False,  # a member at example.com
    "insider": False,  # customer.example, but signed up with a password
    "sso_free": False,  # customer.example through single sign-on, plan free
    "sso_pro": True,  # customer.example through single sign-on, plan pro
    "moderator": True,
    "admin": True,
}


@dataclass
class World:
    board: Board
    post: Post
    attachment: Attachment
    clients: dict[str, Client]
    users: dict[str, User]


def sso_client(secret: str, external_id: str, email: str, plan: str) -> tuple[Client, User]:
    client = Client()
    token = hs256(secret, id=external_id, email=email, plan=plan)
    assert client.get("/sso/callback", {"token": token}).status_code == 302
    return client, User.objects.get(external_id=external_id)


def password_client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def set_rules(admin: User, board: Board, **fields: Any) -> Any:
    data = {"email_domains": "", "roles": "", "plans": "", **fields}
    if not data.get("sso_only"):
        data.pop("sso_only", None)
    return admin_client(admin).post(f"/sso/settings/boards/{board.pk}/", data)


@pytest.fixture
def world(
    admin: User,
    moderator: User,
    member: User,
    secret: str,
    django_capture_on_commit_callbacks: Any,
) -> World:
    board = Board.objects.create(name="Customer lounge", slug="lounge")
    with django_capture_on_commit_callbacks(execute=True):
        post = boards.post_create(board=board, author=moderator, title=TITLE, body="CSV, monthly")
        (attachment,) = boards.attachments_add(post=post, actor=moderator, uploads=[png_upload()])
        boards.post_set_status(
            post=post, actor=moderator, status=Status.objects.get(slug="planned")
        )
    drain()  # the search index
    insider = make_user("ina@customer.example", name="Ina Insider")
    free_client, free = sso_client(secret, "c-free", "fred@customer.example", "free")
    pro_client, pro = sso_client(secret, "c-pro", "pria@customer.example", "Pro")
    clients = {
        "visitor": Client(),
        "outsider": password_client(member),
        "insider": password_client(insider),
        "sso_free": free_client,
        "sso_pro": pro_client,
        "moderator": password_client(moderator),
        "admin": password_client(admin),
    }
    users = {"outsider": member, "insider": insider, "sso_free": free, "sso_pro": pro}
    response = set_rules(admin, board, email_domains="customer.example", sso_only="on", plans="pro")
    assert response.status_code == 302
    board.refresh_from_db()
    assert (board.allowed_email_domains, board.sso_only, board.allowed_plans) == (
        ",customer.example,",
        True,
        ",pro,",
    )
    return World(board, post, attachment, clients, users)


def stream_status(client: Client, path: str) -> int:
    async def go() -> int:
        stream = AsyncClient()
        stream.cookies = client.cookies
        return (await stream.get(path)).status_code

    return int(async_to_sync(go)())


def surfaces(client: Client, w: World) -> dict[str, bool]:
    """Whether ``client`` sees the board or its post on each surface."""
    api_search = client.get("/api/v1/search", {"q": "invoice"})
    return {
        "board page": client.get(f"/b/{w.board.slug}/").status_code == 200,
        "post page": client.get(post_url(w.post)).status_code == 200,
        "home": w.board.name in client.get("/").content.decode(),
        "search page": f"/p/{w.post.pk}/"
        in client.get("/search/", {"q": "invoice"}).content.decode(),
        "similar posts": client.get(
            "/search/similar/", {"board": w.board.slug, "title": "Invoice export"}
        ).status_code
        == 200,
        "api board": client.get(f"/api/v1/boards/{w.board.slug}").status_code == 200,
        "api post": client.get(f"/api/v1/posts/{w.post.pk}").status_code == 200,
        "api list": client.get(f"/api/v1/boards/{w.board.slug}/posts").status_code == 200,
        "api search": api_search.status_code == 200 and TITLE in api_search.content.decode(),
        "api similar": client.get(
            f"/api/v1/boards/{w.board.slug}/similar", {"title": "Invoice export"}
        ).status_code
        == 200,
        "event stream": stream_status(client, f"/events/?post={w.post.pk}") == 200,
        "board stream": stream_status(client, f"/events/?board={w.board.slug}") == 200,
        "attachment": client.get(f"/attachments/{w.attachment.key}/").status_code == 200,
        "roadmap": f"/p/{w.post.pk}" in client.get("/roadmap/").content.decode(),
        "api roadmap": f"/p/{w.post.pk}/" in client.get("/api/v1/roadmap").content.decode(),
    }


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_each_persona_sees_the_restricted_board_everywhere_or_nowhere(
    world: World, persona: str
) -> None:
    seen = surfaces(world.clients[persona], world)
    want = PERSONAS[persona]
    assert seen == dict.fromkeys(seen, want), f"{persona}: {seen}"


def test_a_visible_persona_cannot_vote_or_post_where_they_may_not_see(world: World) -> None:
    outsider = world.clients["outsider"]
    vote = outsider.post(f"/api/v1/posts/{world.post.pk}/vote", content_type="application/json")
    assert vote.status_code in (403, 404)
    created = outsider.post(
        f"/api/v1/boards/{world.board.slug}/posts",
        {"title": "Sneaking in"},
        content_type="application/json",
    )
    assert created.status_code in (403, 404)
    assert not Post.objects.filter(title="Sneaking in").exists()


def test_roles_from_the_token_open_a_board(admin: User, secret: str) -> None:
    board = Board.objects.create(name="Beta corner", slug="beta")
    assert set_rules(admin, board, roles="beta staff").status_code == 302
    tester, _ = sso_client(secret, "c-beta", "bea@customer.example", "free")
    assert tester.get("/b/beta/").status_code == 404
    # A later token with the role opens it; dropping the role closes it again.
    again = tester.get(
        "/sso/callback",
        {"token": hs256(secret, id="c-beta", email="bea@customer.example", roles=["Beta"])},
    )
    assert again.status_code == 302
    assert tester.get("/b/beta/").status_code == 200
    tester.get("/sso/callback", {"token": hs256(secret, id="c-beta", email="bea@customer.example")})
    assert tester.get("/b/beta/").status_code == 404


def test_bad_rules_are_explained_and_nothing_changes(admin: User) -> None:
    board = Board.objects.create(name="Open", slug="open")
    response = set_rules(admin, board, email_domains="not a domain/")
    assert response.status_code == 400
    assert "is not a domain like example.com" in response.content.decode()
    board.refresh_from_db()
    assert not board.has_access_rules
    assert Client().get("/b/open/").status_code == 200


def test_only_admins_set_rules(member: User, moderator: User) -> None:
    board = Board.objects.create(name="Open", slug="open")
    for user in (member, moderator):
        client = Client()
        client.force_login(user)
        response = client.post(f"/sso/settings/boards/{board.pk}/", {"email_domains": "x.example"})
        assert response.status_code == 403
    board.refresh_from_db()
    assert not board.has_access_rules


@pytest.fixture
def jobs(settings: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Jobs]:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    runner = Jobs(django_capture_on_commit_callbacks)
    runner.backend().clear()
    yield runner
    runner.backend().clear()


def test_emails_reach_only_people_who_may_see_the_board(
    jobs: Jobs,
    admin: User,
    moderator: User,
    member: User,
    secret: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    board = Board.objects.create(name="Customer lounge", slug="lounge")
    _, free = sso_client(secret, "c-free", "fred@customer.example", "free")
    _, pro = sso_client(secret, "c-pro", "pria@customer.example", "pro")
    with django_capture_on_commit_callbacks(execute=True):
        post = boards.post_create(board=board, author=moderator, title=TITLE)
        for voter in (member, free, pro):
            boards.vote_toggle(post=post, user=voter)
    jobs.run()
    mail.outbox.clear()
    assert set_rules(admin, board, email_domains="customer.example", plans="pro").status_code == 302
    planned = Status.objects.get(slug="planned")
    with django_capture_on_commit_callbacks(execute=True):
        boards.post_set_status(post=post, actor=moderator, status=planned, note="Next month")
    jobs.run()
    told = {address for message in mail.outbox for address in message.to}
    assert pro.email in told
    assert free.email not in told
    assert member.email not in told


def test_an_admin_demoted_to_member_loses_the_board(admin: User, world: World) -> None:
    del admin
    assert world.clients["moderator"].get(f"/b/{world.board.slug}/").status_code == 200
    moderator = User.objects.get(role=Role.MODERATOR)
    User.objects.filter(pk=moderator.pk).update(role=Role.MEMBER)
    assert world.clients["moderator"].get(f"/b/{world.board.slug}/").status_code == 404
