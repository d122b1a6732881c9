"""Persona x write endpoint x visibility: the status code each one gets.

Every write operation the live OpenAPI schema lists has a row in ``WRITES``;
a new write route without one fails ``test_every_write_route_is_in_the_matrix``.

Each row gives, by hand, what each role gets on a PUBLIC board with a
visible post. The other two visibility cases follow from three stated rules
(``expected``):

- a members-only board does not exist for anonymous callers: 404;
- a hidden post does not exist for anonymous callers or members (404); its
  author and moderators see it and get what they get on a public board;
- routes that ask for a member before looking anything up (comment DELETE)
  answer 401 to anonymous callers whatever the thing's visibility;
- a board with access rules (here: allowed email domains) that a member or
  author does not meet does not exist for them (404), as for anonymous callers.

Each role except anonymous is played twice: once with a personal API key and
once with an access token, and both must get the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from conftest import make_user
from monoboard.accounts import credentials
from monoboard.accounts.models import Role, User
from monoboard.api.tests.conftest import ApiClient, key_for
from monoboard.boards import services
from monoboard.boards.models import Attachment, Board, Comment, Post, Status, Tag, Vote
from monoboard.boards.tests.images import png_upload
from monoboard.sso import services as sso_services

ROLES = ("anonymous", "member", "author", "moderator", "admin")
VISIBILITIES = ("public", "members-only", "hidden-post", "access-rules")
Scope = Literal["post", "board", "site"]


@dataclass(frozen=True)
class Write:
    """One write operation: its body and what each role gets on a public board."""

    method: str
    path: str  # as the OpenAPI schema spells it, under /api/v1
    body: dict[str, Any] | None
    public: tuple[int, int, int, int, int]  # anonymous, member, author, moderator, admin
    scope: Scope
    anonymous_first: bool = False  # asks for a member before any lookup
    needs: frozenset[str] = field(default_factory=frozenset)  # "comment", "merged", "target"
    upload: bool = False  # sent as multipart/form-data with one image in ``files``


def _w(
    method: str,
    path: str,
    body: dict[str, Any] | None,
    public: tuple[int, int, int, int, int],
    scope: Scope,
    *,
    anonymous_first: bool = False,
    needs: tuple[str, ...] = (),
    upload: bool = False,
) -> Write:
    return Write(method, path, body, public, scope, anonymous_first, frozenset(needs), upload)


WRITES: list[Write] = [
    # Boards and posts on them.
    _w("POST", "/boards", {"name": "Bugs {name}"}, (401, 403, 403, 403, 201), "site"),
    _w("PATCH", "/boards/{slug}", {"name": "Renamed"}, (401, 403, 403, 403, 200), "board"),
    _w("DELETE", "/boards/{slug}", None, (401, 403, 403, 403, 204), "board"),
    _w(
        "POST",
        "/boards/{slug}/posts",
        {"title": "A brand new idea"},
        (401, 201, 201, 201, 201),
        "board",
    ),
    # A post: its author edits it; moderators moderate it.
    _w("PATCH", "/posts/{post_id}", {"title": "Edited title"}, (401, 403, 200, 200, 200), "post"),
    _w("DELETE", "/posts/{post_id}", None, (401, 403, 403, 204, 204), "post"),
    _w("PUT", "/posts/{post_id}/hidden", {"hidden": True}, (401, 403, 403, 200, 200), "post"),
    _w(
        "POST",
        "/posts/{post_id}/status",
        {"status_id": "{status_id}", "note": "Soon"},
        (401, 403, 403, 200, 200),
        "post",
    ),
    _w(
        "POST",
        "/posts/{post_id}/merge",
        {"target_id": "{target_id}"},
        (401, 403, 403, 200, 200),
        "post",
        needs=("target",),
    ),
    _w(
        "POST",
        "/posts/{post_id}/unmerge",
        None,
        (401, 403, 403, 200, 200),
        "post",
        needs=("merged",),
    ),
    # Votes: any member who sees the post.
    _w("POST", "/posts/{post_id}/vote", None, (401, 200, 200, 200, 200), "post"),
    _w("PUT", "/posts/{post_id}/vote", None, (401, 200, 200, 200, 200), "post"),
    _w("DELETE", "/posts/{post_id}/vote", None, (401, 200, 200, 200, 200), "post"),
    # Comments: written by the post's author in these cases.
    _w("POST", "/posts/{post_id}/comments", {"body": "Me too"}, (401, 201, 201, 201, 201), "post"),
    _w(
        "PATCH",
        "/posts/{post_id}/comments/{comment_id}",
        {"body": "Edited"},
        (401, 403, 200, 200, 200),
        "post",
        needs=("comment",),
    ),
    _w(
        "DELETE",
        "/posts/{post_id}/comments/{comment_id}",
        None,
        (401, 403, 204, 204, 204),
        "post",
        anonymous_first=True,
        needs=("comment",),
    ),
    _w(
        "PUT",
        "/posts/{post_id}/comments/{comment_id}/pin",
        {"pinned": True},
        (401, 403, 403, 200, 200),
        "post",
        needs=("comment",),
    ),
    # Images: the post's or comment's author and moderators.
    _w(
        "POST",
        "/posts/{post_id}/attachments",
        None,
        (401, 403, 201, 201, 201),
        "post",
        upload=True,
    ),
    _w(
        "POST",
        "/posts/{post_id}/comments/{comment_id}/attachments",
        None,
        (401, 403, 201, 201, 201),
        "post",
        needs=("comment",),
        upload=True,
    ),
    _w(
        "DELETE",
        "/posts/{post_id}/attachments/{attachment_id}",
        None,
        (401, 403, 204, 204, 204),
        "post",
        needs=("attachment",),
    ),
    # The catalogue and the site: admins only.
    _w("POST", "/statuses", {"name": "Later {name}"}, (401, 403, 403, 403, 201), "site"),
    _w(
        "PUT",
        "/statuses/{status_id}",
        {"name": "Soonish {name}"},
        (401, 403, 403, 403, 200),
        "site",
    ),
    _w("DELETE", "/statuses/{status_id}", None, (401, 403, 403, 403, 204), "site"),
    _w("POST", "/tags", {"name": "Mobile {name}"}, (401, 403, 403, 403, 201), "site"),
    _w("PUT", "/tags/{tag_id}", {"name": "Desktop {name}"}, (401, 403, 403, 403, 200), "site"),
    _w("DELETE", "/tags/{tag_id}", None, (401, 403, 403, 403, 204), "site"),
    _w("PUT", "/site", {"site_name": "Our board"}, (401, 403, 403, 403, 200), "site"),
    # The changelog: admins write; a draft does not exist for anyone else (404).
    _w("POST", "/changelog", {"title": "Release {name}"}, (401, 403, 403, 403, 201), "site"),
    _w(
        "PATCH",
        "/changelog/{entry_id}",
        {"title": "Renamed"},
        (401, 403, 403, 403, 200),
        "site",
        needs=("published_entry",),
    ),
    _w(
        "POST",
        "/changelog/{entry_id}/publish",
        {},
        (404, 404, 404, 404, 200),
        "site",
        needs=("draft_entry",),
    ),
    _w(
        "DELETE",
        "/changelog/{entry_id}",
        None,
        (401, 403, 403, 403, 204),
        "site",
        needs=("published_entry",),
    ),
]

#: Write routes that take no persona: they exchange credentials for tokens,
#: and are tested in test_credentials.py.
NOT_PERSONA_ROUTES = {
    ("POST", "/auth/token"): "signs in with a password or a refresh token (auth=None)",
    ("POST", "/auth/revoke"): "revokes a refresh token family (auth=None)",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def expected(write: Write, visibility: str, role: str) -> int:
    public = write.public[ROLES.index(role)]
    if visibility == "public" or write.scope == "site":
        return public
    if visibility == "access-rules" and role in ("member", "author"):
        # Members outside the board's allowed email domains: as if it did not exist.
        return 404
    if visibility == "hidden-post" and write.scope == "board":
        return public  # the board itself is public
    if role == "anonymous":
        return 401 if write.anonymous_first else 404
    if visibility == "hidden-post" and write.scope == "post" and role == "member":
        return 404
    return public


@dataclass
class World:
    """What one persona's request acts on, built fresh for each request."""

    name: str
    board: Board
    post: Post
    target: Post | None = None
    comment: Comment | None = None
    status: Status | None = None
    tag: Tag | None = None
    attachment: Attachment | None = None
    entry_id: int = 0

    def params(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slug": self.board.slug,
            "post_id": self.post.pk,
            "target_id": self.target.pk if self.target else 0,
            "comment_id": self.comment.pk if self.comment else 0,
            "status_id": self.status.pk if self.status else 0,
            "tag_id": self.tag.pk if self.tag else 0,
            "attachment_id": self.attachment.key if self.attachment else "none",
            "entry_id": self.entry_id,
        }


@dataclass
class People:
    author: User
    moderator: User
    clients: dict[str, ApiClient]  # "member:key", "member:token", ..., "anonymous"


@pytest.fixture
def people(admin: User, moderator: User, member: User, other_member: User) -> People:
    users = {"member": member, "author": other_member, "moderator": moderator, "admin": admin}
    clients: dict[str, ApiClient] = {"anonymous": ApiClient()}
    for role, user in users.items():
        clients[f"{role}:key"] = ApiClient(key_for(user))
        token = credentials.tokens_for_password_signin(user).access_token
        clients[f"{role}:token"] = ApiClient(token)
    return People(author=other_member, moderator=moderator, clients=clients)


def build_world(write: Write, visibility: str, name: str, people: People) -> World:
    board = Board.objects.create(
        name=f"Board {name}", slug=name, is_private=visibility == "members-only"
    )
    post = services.post_create(board=board, author=people.author, title="Dark mode please")
    world = World(name=name, board=board, post=post)
    if "comment" in write.needs:
        world.comment = services.comment_create(post=post, author=people.author, body="Details")
    if "attachment" in write.needs:
        (world.attachment,) = services.attachments_add(
            post=post, actor=people.author, uploads=[png_upload()]
        )
    if "target" in write.needs or "merged" in write.needs:
        world.target = services.post_create(
            board=board, author=people.moderator, title="Night theme"
        )
    if "merged" in write.needs:
        assert world.target is not None
        services.post_merge(source=post, target=world.target, actor=people.moderator)
    if "draft_entry" in write.needs or "published_entry" in write.needs:
        from monoboard.changelog import services as changelog

        admin = User.objects.get(email="ada@example.com")
        entry = changelog.entry_create(actor=admin, title=f"Entry {name}", post_ids=[post.pk])
        if "published_entry" in write.needs:
            changelog.entry_publish(actor=admin, entry=entry)
        world.entry_id = entry.pk
    if visibility == "hidden-post":
        services.post_set_hidden(post=post, actor=people.moderator, hidden=True)
        post.refresh_from_db()
    if visibility == "access-rules":
        # Only people with an address at customer.example (none of the members).
        sso_services.board_access_rules_set(
            actor=User.objects.get(role=Role.ADMIN),
            board=board,
            email_domains="customer.example",
            sso_only=False,
            roles="",
            plans="",
        )
    world.status = Status.objects.create(name=f"Status {name}", slug=f"status-{name}")
    world.tag = Tag.objects.create(name=f"Tag {name}", slug=f"tag-{name}")
    return world


def fill(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in params:
            return params[value[1:-1]]
        return value.format(**params)
    if isinstance(value, dict):
        return {k: fill(v, params) for k, v in value.items()}
    return value


def _case_id(write: Write) -> str:
    return f"{write.method} {write.path}"


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("write", WRITES, ids=_case_id)
def test_matrix(people: People, write: Write, visibility: str) -> None:
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    for index, (persona, client) in enumerate(people.clients.items()):
        role = persona.split(":")[0]
        # A fresh world per persona: a delete or hide by one must not leak
        # into the next one's request.
        world = build_world(write, visibility, f"w{index}", people)
        params = world.params()
        if write.upload:
            response = client.client.post(
                f"/api/v1{fill(write.path, params)}",
                data={"files": [png_upload()]},
                headers=client.headers,
            )
        else:
            response = client.call(
                write.method, fill(write.path, params), body=fill(write.body, params)
            )
        got[persona] = response.status_code
        want[persona] = expected(write, visibility, role)
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", persona
        if response.status_code == 401:
            assert response["WWW-Authenticate"].startswith("Bearer"), persona
    assert got == want


def test_every_write_route_is_in_the_matrix(admin: User) -> None:
    schema = ApiClient().get("/openapi.json").json()
    routes = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method in item
        if method in WRITE_METHODS
    }
    covered = {(w.method, w.path) for w in WRITES}
    assert len(covered) == len(WRITES), "a route has two rows"
    assert routes - covered - set(NOT_PERSONA_ROUTES) == set(), "write routes with no matrix row"
    assert covered - routes == set(), "matrix rows for routes that no longer exist"
    assert set(NOT_PERSONA_ROUTES) <= routes


def test_the_matrix_has_every_role_and_credential(people: People) -> None:
    roles = {persona.split(":")[0] for persona in people.clients}
    assert roles == set(ROLES)
    kinds = {persona.split(":")[1] for persona in people.clients if ":" in persona}
    assert kinds == {"key", "token"}


# --- Merges: across boards, and into a post the caller cannot see -----------------


@pytest.mark.parametrize("persona", ["moderator:key", "admin:key", "admin:token"])
def test_merging_across_boards_is_refused_even_for_admins(people: People, persona: str) -> None:
    features = Board.objects.create(name="Features", slug="features")
    bugs = Board.objects.create(name="Bugs", slug="bugs")
    source = services.post_create(board=features, author=people.author, title="Dark mode please")
    target = services.post_create(board=bugs, author=people.author, title="Dark mode is broken")
    response = people.clients[persona].post(f"/posts/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 422
    assert "target" in response.json()["errors"]
    source.refresh_from_db()
    assert source.merged_into_id is None
    assert Vote.objects.filter(post=target).count() == 1


@pytest.mark.parametrize("persona", ["anonymous", "member:key", "member:token"])
def test_merging_into_a_hidden_post_is_404_for_those_who_cannot_see_it(
    people: People, persona: str
) -> None:
    board = Board.objects.create(name="Features", slug="features")
    source = services.post_create(board=board, author=people.author, title="Dark mode please")
    target = services.post_create(board=board, author=people.moderator, title="Night theme")
    services.post_set_hidden(post=target, actor=people.moderator, hidden=True)
    response = people.clients[persona].post(f"/posts/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 404
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_merging_into_a_members_only_post_is_404_for_anonymous_callers(people: People) -> None:
    public = Board.objects.create(name="Features", slug="features")
    private = Board.objects.create(name="Internal", slug="internal", is_private=True)
    source = services.post_create(board=public, author=people.author, title="Dark mode please")
    target = services.post_create(board=private, author=people.author, title="Internal idea")
    response = people.clients["anonymous"].post(
        f"/posts/{source.pk}/merge", {"target_id": target.pk}
    )
    assert response.status_code == 404


def test_merging_into_a_post_that_does_not_exist_is_404_for_moderators(people: People) -> None:
    board = Board.objects.create(name="Features", slug="features")
    source = services.post_create(board=board, author=people.author, title="Dark mode please")
    response = people.clients["moderator:key"].post(
        f"/posts/{source.pk}/merge", {"target_id": source.pk + 1000}
    )
    assert response.status_code == 404


def test_moderators_merge_into_a_hidden_post_they_can_see(people: People) -> None:
    board = Board.objects.create(name="Features", slug="features")
    source = services.post_create(board=board, author=people.author, title="Dark mode please")
    target = services.post_create(board=board, author=people.moderator, title="Night theme")
    services.post_set_hidden(post=target, actor=people.moderator, hidden=True)
    response = people.clients["moderator:token"].post(
        f"/posts/{source.pk}/merge", {"target_id": target.pk}
    )
    assert response.status_code == 200
    assert response.json()["id"] == target.pk
    assert response.json()["vote_count"] == 2


# --- Reads the matrix does not cover ----------------------------------------------


def test_hidden_post_is_404_for_members_but_visible_to_its_author_and_moderators(
    people: People,
) -> None:
    board = Board.objects.create(name="Features", slug="features")
    post = services.post_create(board=board, author=people.author, title="Hide me later")
    services.post_set_hidden(post=post, actor=people.moderator, hidden=True)
    clients = people.clients
    assert clients["anonymous"].get(f"/posts/{post.pk}").status_code == 404
    assert clients["member:key"].get(f"/posts/{post.pk}").status_code == 404
    assert clients["moderator:key"].get(f"/posts/{post.pk}").json()["hidden"] is True
    assert clients["author:token"].get(f"/posts/{post.pk}").status_code == 200


def test_board_list_hides_private_boards_from_anonymous(
    people: People, public_board: Board, private_board: Board
) -> None:
    anon = [b["slug"] for b in people.clients["anonymous"].get("/boards").json()]
    member = [b["slug"] for b in people.clients["member:key"].get("/boards").json()]
    assert anon == ["features"]
    assert sorted(member) == ["features", "internal"]


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/boards/{slug}", (200, 200, 200, 200, 200)),
        ("/boards/{slug}/posts", (200, 200, 200, 200, 200)),
        ("/posts/{post_id}", (200, 200, 200, 200, 200)),
        ("/posts/{post_id}/comments", (200, 200, 200, 200, 200)),
        ("/posts/{post_id}/history", (200, 200, 200, 200, 200)),
        ("/posts/{post_id}/voters", (401, 403, 403, 200, 200)),
    ],
)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_reads(
    people: People, path: str, public: tuple[int, int, int, int, int], visibility: str
) -> None:
    read = Write("GET", path, None, public, "post" if "post_id" in path else "board")
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    for index, (persona, client) in enumerate(people.clients.items()):
        world = build_world(read, visibility, f"r{index}", people)
        got[persona] = client.get(fill(path, world.params())).status_code
        want[persona] = expected(read, visibility, persona.split(":")[0])
    assert got == want


def test_an_inactive_users_key_is_refused(people: People) -> None:
    gone = make_user("gone@example.com", Role.MODERATOR)
    client = ApiClient(key_for(gone))
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    board = Board.objects.create(name="Features", slug="features")
    post = services.post_create(board=board, author=people.author, title="Dark mode please")
    response = client.call("PUT", f"/posts/{post.pk}/hidden", body={"hidden": True})
    assert response.status_code == 401
    post.refresh_from_db()
    assert post.hidden_at is None
