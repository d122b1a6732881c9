"""The changelog in the API: reads for everyone, writes for admins, problem+json errors."""

from __future__ import annotations

from typing import Any

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.changelog.models import Entry

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    return body


def test_admin_writes_publishes_and_deletes(
    admin_api: Any, anon_api: Any, member: User, public_board: Board
) -> None:
    post = boards.post_create(board=public_board, author=member, title="Dark mode", body="")
    created = admin_api.post(
        "/changelog", {"title": "Spring", "body": "*Hello*", "post_ids": [post.pk]}
    )
    assert created.status_code == 201, created.content
    entry = created.json()
    assert entry["state"] == "draft" and entry["body_html"] == "<p><em>Hello</em></p>\n"
    assert [p["id"] for p in entry["posts"]] == [post.pk]
    # A draft is not there for everyone else.
    _problem(anon_api.get(f"/changelog/{entry['id']}"), 404)
    assert anon_api.get("/changelog").json()["items"] == []

    patched = admin_api.call("PATCH", f"/changelog/{entry['id']}", {"title": "Spring release"})
    assert patched.status_code == 200 and patched.json()["title"] == "Spring release"
    assert patched.json()["body"] == "*Hello*"  # what was left out is kept

    published = admin_api.post(f"/changelog/{entry['id']}/publish", {})
    assert published.status_code == 200 and published.json()["state"] == "published"
    seen = anon_api.get(f"/changelog/{entry['id']}")
    assert (
        seen.status_code == 200
        and seen.json()["url"] == f"/changelog/{entry['id']}/spring-release/"
    )
    again = _problem(admin_api.post(f"/changelog/{entry['id']}/publish", {}), 422)
    assert "published already" in str(again["errors"])
    relink = admin_api.call("PATCH", f"/changelog/{entry['id']}", {"post_ids": []})
    assert "post_ids" in _problem(relink, 422)["errors"]

    deleted = admin_api.call("DELETE", f"/changelog/{entry['id']}")
    assert deleted.status_code == 204
    assert not Entry.objects.exists()
    _problem(anon_api.get(f"/changelog/{entry['id']}"), 404)


def test_create_with_an_idempotency_key_makes_one_entry(admin_api: Any) -> None:
    headers = {"Idempotency-Key": "spring-release-1"}
    first = admin_api.post("/changelog", {"title": "Spring"}, headers=headers)
    again = admin_api.post("/changelog", {"title": "Spring"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Entry.objects.count() == 1


def test_only_admins_write(admin_api: Any, member_api: Any, anon_api: Any) -> None:
    _problem(member_api.post("/changelog", {"title": "Nope"}), 403)
    anon = anon_api.post("/changelog", {"title": "Nope"})
    assert anon.status_code in (401, 403) and anon["Content-Type"].startswith(PROBLEM)
    entry_id = admin_api.post("/changelog", {"title": "Yes"}).json()["id"]
    admin_api.post(f"/changelog/{entry_id}/publish", {})
    _problem(member_api.call("PATCH", f"/changelog/{entry_id}", {"title": "Mine"}), 403)
    _problem(member_api.post(f"/changelog/{entry_id}/publish", {}), 403)
    _problem(member_api.call("DELETE", f"/changelog/{entry_id}"), 403)
    assert Entry.objects.get().title == "Yes"


def test_bad_input_is_a_clear_problem(admin_api: Any) -> None:
    short = _problem(admin_api.post("/changelog", {"title": "x"}), 422)
    assert "title" in short["errors"]
    missing = _problem(admin_api.post("/changelog", {"title": "Fine", "post_ids": [987654]}), 422)
    assert "#987654" in " ".join(missing["errors"]["post_ids"])
    typed = admin_api.post("/changelog", {"title": "Fine", "post_ids": ["one"]})
    assert typed.status_code in (400, 422) and typed["Content-Type"].startswith(PROBLEM)
    naive = admin_api.post("/changelog", {"title": "Fine"}).json()["id"]
    bad_time = admin_api.post(f"/changelog/{naive}/publish", {"at": "2099-01-01T10:00:00"})
    assert "at" in _problem(bad_time, 422)["errors"]
    assert Entry.objects.count() == 1


def test_list_pages_with_a_cursor(admin_api: Any, anon_api: Any) -> None:
    for n in range(5):
        entry_id = admin_api.post("/changelog", {"title": f"Release {n}"}).json()["id"]
        admin_api.post(f"/changelog/{entry_id}/publish", {})
    first = anon_api.get("/changelog?limit=2").json()
    assert [e["title"] for e in first["items"]] == ["Release 4", "Release 3"]
    second = anon_api.get(f"/changelog?limit=2&cursor={first['next_cursor']}").json()
    assert [e["title"] for e in second["items"]] == ["Release 2", "Release 1"]
    third = anon_api.get(f"/changelog?limit=2&cursor={second['next_cursor']}").json()
    assert [e["title"] for e in third["items"]] == ["Release 0"]
    assert third["next_cursor"] is None
    _problem(anon_api.get("/changelog?cursor=garbage"), 400)
    from monoboard.lib.cursor import encode_cursor

    for values in ([10**30, 1], [-(10**30), 1], [0, 10**40], [1.5e300, 1]):
        _problem(anon_api.get(f"/changelog?cursor={encode_cursor(values)}"), 400)
