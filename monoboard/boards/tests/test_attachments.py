"""Image attachments through the pages: upload, refusals, thumbnails, access, cleanup.

Tests marked with ``storage`` run twice: on the file system under MEDIA_ROOT
and on an S3 bucket of moto's standalone server, reached over HTTP.
"""

from __future__ import annotations

import io
import re
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from conftest import client_for
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Attachment, Board, Comment, Post
from monoboard.boards.tests.images import (
    bmp_bytes,
    image_bytes,
    jpeg_with_gps,
    noisy_bytes,
    png_bomb,
    png_upload,
    upload,
)
from monoboard.jobs import recurring
from monoboard.testing.fixtures import s3
from monoboard.testing.s3 import S3Server, storages_for

__all__ = ["s3"]

STORED_NAME = re.compile(r"^attachments/[A-Za-z0-9_-]{32}\.(png|jpg|webp)$")


@pytest.fixture(params=["files", "s3"])
def storage(request: pytest.FixtureRequest, settings: Any) -> str:
    """Where files go: the file system, or a fresh bucket on the moto server."""
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3")
        settings.STORAGES = storages_for(server, server.new_bucket(), settings.STORAGES)
    return str(request.param)


def run_jobs() -> int:
    from monoboard.jobs.worker import Worker, WorkerConfig

    worker = Worker(WorkerConfig(queues=["*"]), worker_id="attachment-tests")
    count = 0
    while worker.work_once():
        count += 1
    return count


def fetch(client: Client, url: str) -> tuple[Any, bytes, str]:
    """GET a file URL: (the app's response, the file's bytes, their content type).

    With S3 delivery by redirect the app answers 302 to a presigned URL,
    which is then fetched from the S3 server itself.
    """
    response = client.get(url)
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith("http://127.0.0.1:")
        assert "Signature" in location
        with urllib.request.urlopen(location, timeout=10) as remote:  # noqa: S310  # loopback
            return response, remote.read(), remote.headers["Content-Type"]
    if response.status_code != 200:
        return response, b"", ""
    return response, response.getvalue(), response["Content-Type"]


def stored_names() -> set[str]:
    store = storages["default"]
    found: set[str] = set()
    pending = ["attachments"]
    while pending:
        folder = pending.pop()
        try:
            dirs, names = store.listdir(folder)
        except FileNotFoundError:
            continue
        found.update(f"{folder}/{n}" for n in names)
        pending.extend(f"{folder}/{d}" for d in dirs)
    return found


def new_post(board: Board, author: User, *uploads: Any, title: str = "Dark mode please") -> Post:
    return services.post_create(board=board, author=author, title=title, uploads=list(uploads))


def page_of(post: Post) -> str:
    return reverse("boards:post", args=[post.board.slug, post.pk, post.slug])


# --- Uploading through the forms --------------------------------------------------


def test_a_post_form_with_images_stores_clean_copies_under_random_names(
    storage: str, member: User, public_board: Board
) -> None:
    client = client_for(member)
    response = client.post(
        reverse("boards:board", args=[public_board.slug]),
        {
            "title": "Screenshots of the bug",
            "body": "See the pictures",
            "images": [upload(jpeg_with_gps(), "holiday.jpg", "image/jpeg"), png_upload()],
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(title="Screenshots of the bug")
    rows = list(Attachment.objects.filter(post=post).order_by("id"))
    assert [r.content_type for r in rows] == ["image/jpeg", "image/png"]
    assert all(STORED_NAME.match(r.file_name) for r in rows)
    assert all("holiday" not in r.file_name and "diagram" not in r.file_name for r in rows)
    assert stored_names() >= {r.file_name for r in rows}

    page = client.get(page_of(post)).content.decode()
    for row in rows:
        assert f"/attachments/{row.key}/" in page

    _, data, content_type = fetch(Client(), f"/attachments/{rows[0].key}/")
    assert content_type == "image/jpeg"
    served = Image.open(io.BytesIO(data))
    assert served.format == "JPEG"
    exif = served.getexif()
    assert ExifTags.IFD.GPSInfo not in exif
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert ExifTags.Base.Make not in exif
    # Orientation 6 was applied to the pixels: the 80x40 picture is now upright.
    assert served.size == (40, 80) == (rows[0].width, rows[0].height)


def test_a_comment_form_with_images_attaches_them_to_the_comment(
    member: User, other_member: User, public_board: Board
) -> None:
    post = new_post(public_board, other_member)
    client = client_for(member)
    response = client.post(
        reverse("boards:comment_create", args=[public_board.slug, post.pk]),
        {"body": "Same here", "images": [png_upload("mine.png")]},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(post=post)
    (row,) = Attachment.objects.filter(comment=comment)
    assert row.post_id == post.pk
    page = client.get(page_of(post)).content.decode()
    assert f"/attachments/{row.key}/" in page
    assert 'data-testid="comment-images"' in page


def test_forms_offer_an_upload_button_that_needs_no_script(
    member: User, public_board: Board
) -> None:
    client = client_for(member)
    board_page = client.get(reverse("boards:board", args=[public_board.slug])).content.decode()
    assert 'enctype="multipart/form-data"' in board_page
    assert 'type="file" id="id_images" name="images" multiple accept="image/*"' in board_page
    post = new_post(public_board, member)
    post_page = client.get(page_of(post)).content.decode()
    assert 'id="id_comment_images" name="images" multiple accept="image/*"' in post_page
    assert "monoboard/images.js" in post_page


def test_the_author_adds_images_to_an_existing_post_from_its_page(
    member: User, public_board: Board
) -> None:
    post = new_post(public_board, member)
    response = client_for(member).post(
        reverse("boards:attachments_add", args=[public_board.slug, post.pk]),
        {"images": [png_upload(), png_upload("second.png")]},
    )
    assert response.status_code == 302
    assert Attachment.objects.filter(post=post, comment=None).count() == 2


def test_only_the_author_or_a_moderator_adds_images_to_a_post(
    member: User, other_member: User, moderator: User, public_board: Board
) -> None:
    post = new_post(public_board, member)
    url = reverse("boards:attachments_add", args=[public_board.slug, post.pk])
    assert client_for(other_member).post(url, {"images": [png_upload()]}).status_code == 403
    assert Client().post(url, {"images": [png_upload()]}).status_code == 302  # to sign in
    assert client_for(moderator).post(url, {"images": [png_upload()]}).status_code == 302
    assert Attachment.objects.filter(post=post).count() == 1
    assert stored_names() == {Attachment.objects.get(post=post).file_name}


def test_a_refused_image_added_to_a_post_answers_400_with_the_reason(
    member: User, public_board: Board
) -> None:
    post = new_post(public_board, member)
    response = client_for(member).post(
        reverse("boards:attachments_add", args=[public_board.slug, post.pk]),
        {"images": [upload(bmp_bytes(), "scan.png")]},
    )
    assert response.status_code == 400
    assert "scan.png: This file is not a PNG, JPEG, WebP or GIF image." in response.content.decode()
    assert Attachment.objects.count() == 0


# --- Refusals: a clear 400, and nothing the person typed is lost ----------------------


def _svg_named_png() -> Any:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    return [upload(svg, "cat.png", "image/png")]


def _bmp_named_png() -> Any:
    return [upload(bmp_bytes(), "cat.png", "image/png")]


def _truncated_jpeg() -> Any:
    data = noisy_bytes("JPEG", (32, 32))
    return [upload(data[: len(data) - 400], "cut.jpg", "image/jpeg")]


def _too_many_bytes() -> Any:
    return [upload(noisy_bytes("PNG", (100, 100)), "big.png")]


def _bomb() -> Any:
    return [upload(png_bomb(), "bomb.png")]


def _too_many_pixels() -> Any:
    return [upload(image_bytes("PNG", (200, 200)), "wide.png")]


def _too_many_files() -> Any:
    return [png_upload(f"{i}.png") for i in range(3)]


REFUSALS = [
    ("disguised-svg", _svg_named_png, "not a PNG, JPEG, WebP or GIF"),
    ("disguised-bmp", _bmp_named_png, "not a PNG, JPEG, WebP or GIF"),
    ("truncated", _truncated_jpeg, "damaged or incomplete"),
    ("oversize-bytes", _too_many_bytes, "larger than 2 KB"),
    ("decompression-bomb", _bomb, "too large in pixels"),
    ("pixel-limit", _too_many_pixels, "too large in pixels (at most 10,000 pixels)"),
    ("too-many-files", _too_many_files, "At most 2 images"),
]


@pytest.fixture
def tight_limits(settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 2048
    settings.ATTACHMENT_MAX_PIXELS = 10_000
    settings.ATTACHMENT_MAX_PER_ITEM = 2


@pytest.mark.usefixtures("tight_limits")
@pytest.mark.parametrize(("case", "make", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_image_is_a_400_that_keeps_the_title_and_text(
    member: User, public_board: Board, case: str, make: Any, message: str
) -> None:
    response = client_for(member).post(
        reverse("boards:board", args=[public_board.slug]),
        {"title": "Keep my careful title", "body": "And my long thoughts", "images": make()},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'value="Keep my careful title"' in page
    assert "And my long thoughts</textarea>" in page
    assert not Post.objects.filter(title="Keep my careful title").exists()
    assert Attachment.objects.count() == 0
    assert stored_names() == set()


@pytest.mark.usefixtures("tight_limits")
def test_a_refused_image_on_a_comment_keeps_the_comment_text(
    member: User, public_board: Board
) -> None:
    post = new_post(public_board, member)
    response = client_for(member).post(
        reverse("boards:comment_create", args=[public_board.slug, post.pk]),
        {"body": "My reply, typed with care", "images": _bmp_named_png()},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a PNG, JPEG, WebP or GIF" in page
    assert "My reply, typed with care</textarea>" in page
    assert Comment.objects.count() == 0
    assert stored_names() == set()


# --- Thumbnails -------------------------------------------------------------------


def test_thumbnails_are_made_by_a_job_and_the_full_image_stands_in_until_then(
    storage: str, member: User, public_board: Board
) -> None:
    big = upload(noisy_bytes("PNG", (900, 600)), "wide.png")
    post = new_post(public_board, member, big)
    row = Attachment.objects.get(post=post)
    client = Client()
    page = client.get(page_of(post)).content.decode()
    assert f'src="/attachments/{row.key}/"' in page  # scaled by CSS for now
    _, data, content_type = fetch(client, f"/attachments/{row.key}/thumb/")
    assert content_type == "image/png"  # the full image until the thumbnail exists

    assert run_jobs() >= 1
    row.refresh_from_db()
    assert STORED_NAME.match(row.thumb_name)
    _, data, content_type = fetch(client, f"/attachments/{row.key}/thumb/")
    assert content_type == "image/webp"
    thumb = Image.open(io.BytesIO(data))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 480
    page = client.get(page_of(post)).content.decode()
    assert f'src="/attachments/{row.key}/thumb/"' in page
    assert f'href="/attachments/{row.key}/"' in page  # opens full size


# --- Access: exactly as private as the post -----------------------------------------


VIEWERS = ("visitor", "member", "author", "admin")
ALLOWED = {
    "public": {"visitor", "member", "author", "admin"},
    "members-only": {"member", "author", "admin"},
    "hidden": {"author", "admin"},
    "deleted-post": set(),
    "deleted-comment": set(),
}


def _situation(kind: str, author: User, admin: User) -> Attachment:
    board = Board.objects.create(
        name=f"Board {kind}", slug=f"b-{kind}", is_private=kind == "members-only"
    )
    post = new_post(board, author, png_upload())
    if kind == "deleted-comment":
        comment = services.comment_create(
            post=post, author=author, body="Look", uploads=[png_upload()]
        )
        row = Attachment.objects.get(comment=comment)
        services.comment_delete(comment=comment, actor=author)
    else:
        row = Attachment.objects.get(post=post)
    if kind == "hidden":
        services.post_set_hidden(post=post, actor=admin, hidden=True)
    if kind == "deleted-post":
        services.post_delete(post=post, actor=admin)
    return row


def test_each_image_is_exactly_as_visible_as_its_post_whatever_the_url(
    storage: str, admin: User, member: User, other_member: User
) -> None:
    clients = {
        "visitor": Client(),
        "member": client_for(member),
        "author": client_for(other_member),
        "admin": client_for(admin),
    }
    rows = {kind: _situation(kind, other_member, admin) for kind in ALLOWED}
    assert run_jobs() >= 1  # thumbnails, and the purge of what was deleted
    got: dict[tuple[str, str, str], int] = {}
    want: dict[tuple[str, str, str], int] = {}
    for kind, row in rows.items():
        if Attachment.objects.filter(pk=row.pk).exists():
            row.refresh_from_db()
        guesses = {
            "full": f"/attachments/{row.key}/",
            "thumb": f"/attachments/{row.key}/thumb/",
            "row-id": f"/attachments/{row.pk}/",
            "row-id-thumb": f"/attachments/{row.pk}/thumb/",
            "media-file": f"/media/{row.file_name}",
            "media-thumb": f"/media/{row.thumb_name or 'attachments/none.webp'}",
            "storage-stem": f"/attachments/{row.file_name.rsplit('/', 1)[-1].split('.')[0]}/",
        }
        for viewer in VIEWERS:
            for form, url in guesses.items():
                status = clients[viewer].get(url).status_code
                got[(kind, viewer, form)] = status
                ok = viewer in ALLOWED[kind] and form in ("full", "thumb")
                want[(kind, viewer, form)] = (302 if storage == "s3" else 200) if ok else 404
    assert got == want


def test_files_are_served_with_safe_headers(
    member: User, public_board: Board, private_board: Board
) -> None:
    odd = upload(image_bytes("PNG"), '..\\../evil"; name=x.png', "text/html")
    public_row = Attachment.objects.get(post=new_post(public_board, member, odd))
    private_row = Attachment.objects.get(post=new_post(private_board, member, png_upload()))
    response = Client().get(f"/attachments/{public_row.key}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename=")
    assert disposition == 'inline; filename="evil namex.png"'
    assert response["Cache-Control"] == "public, max-age=300"

    response = client_for(member).get(f"/attachments/{private_row.key}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Content-Disposition"] == 'inline; filename="diagram.png"'


def test_s3_redirects_only_after_the_check_to_a_short_lived_signed_url(
    s3: S3Server, settings: Any, member: User, private_board: Board
) -> None:
    settings.STORAGES = storages_for(s3, s3.new_bucket(), settings.STORAGES)
    row = Attachment.objects.get(post=new_post(private_board, member, png_upload()))
    assert Client().get(f"/attachments/{row.key}/").status_code == 404
    response, data, content_type = fetch(client_for(member), f"/attachments/{row.key}/")
    assert response.status_code == 302
    assert "Expires=" in response["Location"] or "X-Amz-Expires=" in response["Location"]
    assert response["Cache-Control"] == "private, no-store"
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(data)).format == "PNG"


def test_s3_can_stream_through_the_app_instead(
    s3: S3Server, settings: Any, member: User, private_board: Board
) -> None:
    settings.STORAGES = storages_for(s3, s3.new_bucket(), settings.STORAGES)
    settings.ATTACHMENT_S3_DELIVERY = "stream"
    row = Attachment.objects.get(post=new_post(private_board, member, png_upload()))
    response = client_for(member).get(f"/attachments/{row.key}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=300"
    data = response.getvalue()
    assert Image.open(io.BytesIO(data)).format == "PNG"


# --- Consistency: deleting, merging, orphans -------------------------------------------


def test_deleting_an_image_a_comment_or_a_post_removes_their_files(
    storage: str, member: User, moderator: User, public_board: Board
) -> None:
    client = client_for(member)
    post = new_post(public_board, member, png_upload(), png_upload("two.png"))
    comment = services.comment_create(
        post=post, author=member, body="More", uploads=[png_upload("three.png")]
    )
    run_jobs()  # thumbnails
    first, second = Attachment.objects.filter(post=post, comment=None).order_by("id")
    on_comment = Attachment.objects.get(comment=comment)
    names = {r.file_name for r in (first, second, on_comment)}
    names |= {r.thumb_name for r in (first, second, on_comment)}
    assert names <= stored_names()

    # One image, by its author from the post page.
    response = client.post(
        reverse("boards:attachment_delete", args=[public_board.slug, post.pk, first.key])
    )
    assert response.status_code == 302
    assert client.get(f"/attachments/{first.key}/").status_code == 404
    # The comment: its image goes with its words.
    client.post(reverse("boards:comment_delete", args=[public_board.slug, post.pk, comment.pk]))
    assert client.get(f"/attachments/{on_comment.key}/").status_code == 404
    # The post, by a moderator.
    client_for(moderator).post(reverse("boards:post_delete", args=[public_board.slug, post.pk]))
    assert client.get(f"/attachments/{second.key}/").status_code == 404

    run_jobs()
    assert Attachment.objects.count() == 0
    assert stored_names() == set()


def test_a_merged_post_keeps_its_images_with_its_own_visibility(
    member: User, moderator: User, public_board: Board
) -> None:
    source = new_post(public_board, member, png_upload(), title="Dark theme")
    target = new_post(public_board, moderator, title="Night mode")
    row = Attachment.objects.get(post=source)
    services.post_merge(source=source, target=target, actor=moderator)
    visitor = Client()
    assert visitor.get(f"/attachments/{row.key}/").status_code == 200
    assert f"/attachments/{row.key}/" in visitor.get(page_of(source)).content.decode()
    services.post_set_hidden(post=source, actor=moderator, hidden=True)
    assert visitor.get(f"/attachments/{row.key}/").status_code == 404
    services.post_set_hidden(post=source, actor=moderator, hidden=False)
    services.post_unmerge(source=source, actor=moderator)
    assert visitor.get(f"/attachments/{row.key}/").status_code == 200


def test_the_orphan_job_removes_old_detached_rows_and_files_with_no_row(
    storage: str, member: User, public_board: Board, settings: Any
) -> None:
    from monoboard.boards import files

    kept_post = new_post(public_board, member, png_upload())
    kept = Attachment.objects.get(post=kept_post)
    stray = files.save(image_bytes("PNG"), "png")  # an upload whose write never committed
    detached = Attachment.objects.get(post=new_post(public_board, member, png_upload()))
    Attachment.objects.filter(pk=detached.pk).update(post=None, detached_at=timezone.now())

    now_result = services.attachments_prune()
    assert now_result == {"detached": 0, "stray_files": 0}  # nothing is old enough yet
    assert stray in stored_names()

    later = timezone.now() + timedelta(hours=settings.ATTACHMENT_ORPHAN_HOURS + 1)
    result = services.attachments_prune(now=later)
    assert result == {"detached": 1, "stray_files": 1}
    assert not Attachment.objects.filter(pk=detached.pk).exists()
    assert stray not in stored_names()
    assert detached.file_name not in stored_names()
    assert kept.file_name in stored_names()
    assert Client().get(f"/attachments/{kept.key}/").status_code in (200, 302)
    assert "boards.prune_attachments" in {r.name for r in recurring.registered()}


def test_the_orphan_job_runs_as_a_task(member: User, public_board: Board) -> None:
    from monoboard.boards.tasks import prune_attachments

    new_post(public_board, member, png_upload())
    result = prune_attachments.call()
    assert result == {"detached": 0, "stray_files": 0}


def test_s3_storage_is_configured_from_the_environment_alone() -> None:
    """STORAGE_S3_* switch the default storage to S3 and let pages load images from it."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.STORAGES['default'], settings.SECURE_CSP['img-src']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        "STORAGE_S3_BUCKET": "feedback-files",
        "STORAGE_S3_ENDPOINT_URL": "https://s3.example.net:9000/",
        "STORAGE_S3_ACCESS_KEY_ID": "key",
        "STORAGE_S3_SECRET_ACCESS_KEY": "secret",
        "STORAGE_S3_REGION": "eu-west-1",
        "STORAGE_S3_ADDRESSING_STYLE": "path",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    storage, img_src = json.loads(out.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "feedback-files"
    assert options["endpoint_url"] == "https://s3.example.net:9000/"
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["region_name"] == "eu-west-1"
    assert options["addressing_style"] == "path"
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert "https://s3.example.net:9000" in img_src
