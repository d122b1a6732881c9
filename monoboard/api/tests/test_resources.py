"""What a program can do through /api/v1, end to end through HTTP."""

from __future__ import annotations

from typing import Any

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status, StatusChange, Tag
from monoboard.core.consumers import drain


def test_post_list_sorts_and_walks_the_cursor(
    member_api: ApiClient, public_board: Board, member: User, other_member: User
) -> None:
    posts = [
        services.post_create(board=public_board, author=other_member, title=f"Idea number {i}")
        for i in range(5)
    ]
    services.vote_toggle(post=posts[1], user=member)
    top = member_api.get("/boards/features/posts?sort=top&limit=2").json()
    assert top["items"][0]["id"] == posts[1].pk and top["items"][0]["voted"] is True
    seen: list[int] = []
    cursor = ""
    for _ in range(5):
        page = member_api.get(f"/boards/features/posts?sort=new&limit=2{cursor}").json()
        seen += [p["id"] for p in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [p.pk for p in reversed(posts)]


def test_filters_mine_voted_status_and_tag(
    member_api: ApiClient, moderator: User, public_board: Board, member: User, planned: Status
) -> None:
    mine = services.post_create(board=public_board, author=member, title="My own idea")
    theirs = services.post_create(board=public_board, author=moderator, title="Their idea")
    services.post_set_status(post=theirs, actor=moderator, status=planned)
    tag = Tag.objects.create(name="Mobile", slug="mobile")
    theirs.tags.add(tag)

    def ids(query: str) -> list[int]:
        return [p["id"] for p in member_api.get(f"/boards/features/posts?{query}").json()["items"]]

    assert ids("mine=true") == [mine.pk]
    assert ids("voted=true") == [mine.pk]
    assert ids("status=planned") == [theirs.pk]
    assert ids("tag=mobile") == [theirs.pk]
    assert member_api.get("/boards/features/posts?status=nope").status_code == 422


def test_create_edit_and_read_a_post(member_api: ApiClient, public_board: Board) -> None:
    created = member_api.post("/boards/features/posts", {"title": "Calendar view", "body": "*Yes*"})
    assert created.status_code == 201
    post = created.json()
    assert post["vote_count"] == 1 and post["voted"] is True
    assert "<em>Yes</em>" in post["body_html"]
    edited = member_api.call("PATCH", f"/posts/{post['id']}", {"title": "Calendar views"})
    assert edited.json()["title"] == "Calendar views"
    assert member_api.get(f"/posts/{post['id']}").json()["body"] == "*Yes*"


def test_moderation_status_note_hide_merge(
    moderator_api: ApiClient, public_board: Board, other_member: User, planned: Status
) -> None:
    post = services.post_create(board=public_board, author=other_member, title="Offline mode")
    dupe = services.post_create(board=public_board, author=other_member, title="Offline use")
    changed = moderator_api.post(
        f"/posts/{post.pk}/status", {"status_id": planned.pk, "note": "Next quarter"}
    ).json()
    assert changed["changed"] is True and changed["to_status"] == planned.pk
    assert StatusChange.objects.get(post=post).note == "Next quarter"
    hidden = moderator_api.call("PUT", f"/posts/{post.pk}/hidden", {"hidden": True}).json()
    assert hidden["hidden"] is True
    moderator_api.call("PUT", f"/posts/{post.pk}/hidden", {"hidden": False})
    merged = moderator_api.post(f"/posts/{dupe.pk}/merge", {"target_id": post.pk})
    assert merged.status_code == 200 and merged.json()["id"] == post.pk
    assert Post.objects.get(pk=dupe.pk).merged_into_id == post.pk
    unmerged = moderator_api.post(f"/posts/{dupe.pk}/unmerge")
    assert unmerged.json()["merged_into"] is None


def test_votes_put_and_delete_are_idempotent_and_voters_listed(
    member_api: ApiClient, moderator_api: ApiClient, public_post: Post, member: User
) -> None:
    path = f"/posts/{public_post.pk}/vote"
    assert member_api.call("PUT", path).json() == {"voted": True, "vote_count": 2}
    assert member_api.call("PUT", path).json() == {"voted": True, "vote_count": 2}
    voters = moderator_api.get(f"/posts/{public_post.pk}/voters").json()
    assert member.pk in [v["user"]["id"] for v in voters]
    assert member_api.call("DELETE", path).json() == {"voted": False, "vote_count": 1}
    assert member_api.call("DELETE", path).json() == {"voted": False, "vote_count": 1}
    toggled = member_api.post(path).json()
    assert toggled == {"voted": True, "vote_count": 2}


def test_comments_create_edit_pin_delete(
    member_api: ApiClient, moderator_api: ApiClient, other_api: ApiClient, public_post: Post
) -> None:
    base = f"/posts/{public_post.pk}/comments"
    comment = member_api.post(base, {"body": "Please!"}).json()
    assert other_api.call("PATCH", f"{base}/{comment['id']}", {"body": "x"}).status_code == 403
    edited = member_api.call("PATCH", f"{base}/{comment['id']}", {"body": "Pretty please"})
    assert edited.json()["edited_at"] is not None
    official = moderator_api.post(base, {"body": "Planned.", "official": True}).json()
    assert official["is_pinned"] is True
    assert member_api.post(base, {"body": "x", "official": True}).status_code == 403
    pinned = moderator_api.call("PUT", f"{base}/{comment['id']}/pin", {"pinned": True}).json()
    assert pinned["is_pinned"] is True
    listed = member_api.get(base).json()
    assert listed[0]["id"] == comment["id"]
    assert member_api.call("DELETE", f"{base}/{comment['id']}").status_code == 204
    gone = next(c for c in member_api.get(base).json() if c["id"] == comment["id"])
    assert gone["deleted"] is True and gone["body"] == ""


def test_catalog_search_similar_and_me(
    member_api: ApiClient,
    anon_api: ApiClient,
    public_board: Board,
    other_member: User,
    planned: Status,
    django_capture_on_commit_callbacks: Any,
) -> None:
    public_post = services.post_create(
        board=public_board, author=other_member, title="Dark mode please"
    )
    drain()  # the jobs worker's consumers update the index after commit
    assert "planned" in [s["slug"] for s in member_api.get("/statuses").json()]
    assert member_api.get("/tags").json() == []
    found = member_api.get("/search?q=dark").json()
    assert [hit["post"]["id"] for hit in found["items"]] == [public_post.pk]
    similar = member_api.get("/boards/features/similar?title=dark%20mode").json()
    assert [s["id"] for s in similar] == [public_post.pk]
    assert member_api.get("/me").json()["role"] == "member"
    assert anon_api.get("/me").json() == {
        "authenticated": False, "id": None, "email": None, "name": None, "role": None
    }  # fmt: skip


def test_admin_updates_and_deletes_a_board(admin_api: ApiClient, public_board: Board) -> None:
    changed = admin_api.call("PATCH", "/boards/features", {"is_private": True}).json()
    assert changed["is_private"] is True and changed["name"] == "Feature requests"
    assert admin_api.call("DELETE", "/boards/features").status_code == 204
    assert not Board.objects.filter(slug="features").exists()


def test_admins_manage_statuses_and_tags(
    admin_api: ApiClient, member_api: ApiClient, anon_api: ApiClient
) -> None:
    body = {"name": "Shipped", "color": "#16A34A", "on_roadmap": True, "is_closed": True}
    assert anon_api.post("/statuses", body).status_code == 401
    assert member_api.post("/statuses", body).status_code == 403
    created = admin_api.post("/statuses", body)
    assert created.status_code == 201
    status = created.json()
    assert (status["slug"], status["color"], status["is_closed"]) == ("shipped", "#16a34a", True)
    renamed = admin_api.call("PUT", f"/statuses/{status['id']}", {**body, "name": "Released"})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["slug"] == "released"
    bad = admin_api.post("/statuses", {"name": "Later", "color": "red"})
    assert bad.status_code == 422 and "color" in bad.json()["errors"]
    assert admin_api.call("DELETE", f"/statuses/{status['id']}").status_code == 204

    tag = admin_api.post("/tags", {"name": "Mobile"}).json()
    assert member_api.call("DELETE", f"/tags/{tag['id']}").status_code == 403
    assert admin_api.call("PUT", f"/tags/{tag['id']}", {"name": "iOS"}).json()["slug"] == "ios"
    assert admin_api.call("DELETE", f"/tags/{tag['id']}").status_code == 204
    assert admin_api.call("DELETE", f"/tags/{tag['id']}").status_code == 404


def test_search_results_carry_tags_and_author(
    member_api: ApiClient,
    public_board: Board,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tag = Tag.objects.create(name="Mobile", slug="mobile")
    post = services.post_create(
        board=public_board, author=moderator, title="Offline sync", tag_ids=[tag.pk]
    )
    drain()
    (hit,) = member_api.get("/search?q=offline").json()["items"]
    assert hit["post"]["id"] == post.pk
    assert [t["slug"] for t in hit["post"]["tags"]] == ["mobile"]
    assert hit["post"]["author"]["name"] == "Mo Moderator"


def test_roadmap_history_and_site(
    admin_api: ApiClient,
    member_api: ApiClient,
    moderator: User,
    public_post: Post,
    private_post: Post,
    planned: Status,
) -> None:
    Status.objects.filter(pk=planned.pk).update(on_roadmap=True)
    services.post_set_status(post=public_post, actor=moderator, status=planned, note="Soon")
    services.post_set_status(post=private_post, actor=moderator, status=planned)
    anon = ApiClient()
    column = next(c for c in anon.get("/roadmap").json() if c["status"]["slug"] == "planned")
    assert [p["id"] for p in column["posts"]] == [public_post.pk]
    member_column = next(
        c for c in member_api.get("/roadmap").json() if c["status"]["slug"] == "planned"
    )
    assert len(member_column["posts"]) == 2
    (change,) = member_api.get(f"/posts/{public_post.pk}/history").json()
    assert (change["to_status"]["slug"], change["note"]) == ("planned", "Soon")
    assert member_api.call("PUT", "/site", {"site_name": "Acme ideas"}).status_code == 403
    assert admin_api.call("PUT", "/site", {"site_name": "Acme ideas"}).json()["site_name"] == (
        "Acme ideas"
    )
    assert anon.get("/site").json()["site_name"] == "Acme ideas"


def test_post_list_query_count_does_not_grow_with_the_page(
    member_api: ApiClient, public_board: Board, other_member: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tag = Tag.objects.create(name="Mobile", slug="mobile")

    def count_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = member_api.get("/boards/features/posts?limit=50")
        assert response.status_code == 200
        return len(queries)

    def add_posts(n: int) -> None:
        for i in range(n):
            post = services.post_create(board=public_board, author=other_member, title=f"Idea {i}")
            post.tags.add(tag)

    member_api.get("/me")  # the key's once-a-minute "last used" write happens here
    add_posts(2)
    count_for_page()  # warm: with a shared cache, the board then comes from it
    few = count_for_page()
    add_posts(8)
    assert count_for_page() == few
