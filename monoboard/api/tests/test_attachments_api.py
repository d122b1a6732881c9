"""Images through the JSON API: multipart upload, representations, refusals, removal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient
from monoboard.boards import services
from monoboard.boards.models import Attachment, Board
from monoboard.boards.tests.images import bmp_bytes, jpeg_with_gps, png_bomb, png_upload, upload
from monoboard.testing.fixtures import s3
from monoboard.testing.s3 import S3Server, storages_for

__all__ = ["s3"]


def send(api: ApiClient, path: str, files: list[Any]) -> Any:
    return api.client.post(f"/api/v1{path}", data={"files": files}, headers=api.headers)


@pytest.fixture(params=["files", "s3"])
def storage(request: pytest.FixtureRequest, settings: Any) -> str:
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3")
        settings.STORAGES = storages_for(server, server.new_bucket(), settings.STORAGES)
    return str(request.param)


def test_upload_to_a_post_and_read_it_back_everywhere(
    storage: str, member_api: ApiClient, anon_api: ApiClient, member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    response = send(
        member_api,
        f"/posts/{post.pk}/attachments",
        [png_upload(), upload(jpeg_with_gps(), "trip.jpg", "image/jpeg")],
    )
    assert response.status_code == 201, response.content
    added = response.json()
    assert [a["content_type"] for a in added] == ["image/png", "image/jpeg"]
    assert added[1]["width"] == 40 and added[1]["height"] == 80
    assert all(a["url"] == f"/attachments/{a['id']}/" for a in added)
    assert all(a["thumbnail_ready"] is False for a in added)

    shown = anon_api.get(f"/posts/{post.pk}").json()["attachments"]
    assert [a["id"] for a in shown] == [a["id"] for a in added]
    listed = anon_api.get(f"/boards/{public_board.slug}/posts").json()["items"]
    assert [a["id"] for a in listed[0]["attachments"]] == [a["id"] for a in added]
    assert Client().get(added[0]["url"]).status_code == (302 if storage == "s3" else 200)


def test_upload_to_a_comment_shows_in_the_comment_list(
    member_api: ApiClient, member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    comment = services.comment_create(post=post, author=member, body="Screenshot below")
    response = send(
        member_api, f"/posts/{post.pk}/comments/{comment.pk}/attachments", [png_upload()]
    )
    assert response.status_code == 201
    (added,) = response.json()
    assert added["comment_id"] == comment.pk
    comments = member_api.get(f"/posts/{post.pk}/comments").json()
    assert [a["id"] for a in comments[0]["attachments"]] == [added["id"]]
    assert member_api.get(f"/posts/{post.pk}").json()["attachments"] == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda: [upload(bmp_bytes(), "cat.png")], "not a PNG, JPEG, WebP or GIF"),
        (lambda: [upload(b"GIF89a not really", "cat.gif", "image/gif")], "not a PNG"),
        (lambda: [upload(png_bomb(), "bomb.png")], "too large in pixels"),
        (lambda: [png_upload(str(i)) for i in range(9)], "At most 8 images"),
    ],
    ids=["bmp-as-png", "fake-gif", "bomb", "too-many"],
)
def test_a_refused_upload_is_a_400_problem_and_stores_nothing(
    member_api: ApiClient, member: User, public_board: Board, files: Any, message: str
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    response = send(member_api, f"/posts/{post.pk}/attachments", files())
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert message in response.json()["errors"]["attachments"][0]
    assert Attachment.objects.count() == 0


def test_an_upload_with_no_file_is_refused_by_the_schema(
    member_api: ApiClient, member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    response = member_api.client.post(
        f"/api/v1/posts/{post.pk}/attachments", data={}, headers=member_api.headers
    )
    assert response.status_code == 422


def test_removing_an_image_makes_its_url_404(
    member_api: ApiClient, other_api: ApiClient, member: User, public_board: Board
) -> None:
    post = services.post_create(
        board=public_board, author=member, title="Dark mode please", uploads=[png_upload()]
    )
    row = Attachment.objects.get(post=post)
    path = f"/posts/{post.pk}/attachments/{row.key}"
    assert other_api.call("DELETE", path).status_code == 403
    assert member_api.call("DELETE", path).status_code == 204
    assert Client().get(f"/attachments/{row.key}/").status_code == 404
    assert member_api.call("DELETE", path).status_code == 404
    assert member_api.get(f"/posts/{post.pk}").json()["attachments"] == []


def test_an_image_of_another_post_cannot_be_removed_through_this_one(
    member_api: ApiClient, member: User, public_board: Board
) -> None:
    mine = services.post_create(board=public_board, author=member, title="Dark mode please")
    other = services.post_create(
        board=public_board, author=member, title="Light mode too", uploads=[png_upload()]
    )
    row = Attachment.objects.get(post=other)
    response = member_api.call("DELETE", f"/posts/{mine.pk}/attachments/{row.key}")
    assert response.status_code == 404
    assert Attachment.objects.filter(pk=row.pk, post=other).exists()
