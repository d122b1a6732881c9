"""The public changelog, one page per entry, the Atom feed, images, "Shipped in"
on posts, the admin pages' errors, and what a visitor may not see."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from typing import Any

from django.test import Client
from django.utils import timezone

from conftest import client_for
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post
from monoboard.boards.tests.images import png_bomb, png_upload, upload
from monoboard.changelog import services
from monoboard.changelog.models import Entry, EntryImage

ATOM = "{http://www.w3.org/2005/Atom}"
Capture = Any


def _entry(admin: User, title: str, posts: list[Post] = (), publish: bool = True) -> Entry:  # type: ignore[assignment]
    entry = services.entry_create(
        actor=admin, title=title, body=f"About *{title}*.", post_ids=[p.pk for p in posts]
    )
    if publish:
        entry = services.entry_publish(actor=admin, entry=entry)
    return entry


def test_list_pages_entry_page_and_nav(admin: User, outsider_client: Client) -> None:
    for n in range(12):
        _entry(admin, f"Release {n:02d}")
    _entry(admin, "Unreleased draft", publish=False)
    first = outsider_client.get("/changelog/")
    assert first.status_code == 200
    html = first.content.decode()
    assert 'href="/changelog/"' in html  # in the site navigation
    assert "Release 11" in html and "Release 02" in html and "Release 01" not in html
    assert "Unreleased draft" not in html
    assert "<em>Release 11</em>" in html  # markdown rendered
    second = outsider_client.get("/changelog/?page=2")
    assert "Release 01" in second.content.decode() and "Release 00" in second.content.decode()
    assert outsider_client.get("/changelog/?page=9").status_code == 404
    assert outsider_client.get("/changelog/?page=x").status_code == 404

    entry = Entry.objects.get(title="Release 03")
    assert (
        outsider_client.get(f"/changelog/{entry.pk}/")["Location"]
        == f"/changelog/{entry.pk}/release-03/"
    )
    page = outsider_client.get(f"/changelog/{entry.pk}/release-03/")
    assert page.status_code == 200 and "Release 03" in page.content.decode()
    draft = Entry.objects.get(title="Unreleased draft")
    assert outsider_client.get(f"/changelog/{draft.pk}/{draft.slug}/").status_code == 404
    assert client_for(admin).get(f"/changelog/{draft.pk}/{draft.slug}/").status_code == 200


def test_markdown_is_sanitised(admin: User, outsider_client: Client) -> None:
    entry = services.entry_create(
        actor=admin, title="Sneaky", body="<script>alert(1)</script> [x](javascript:alert(1))"
    )
    services.entry_publish(actor=admin, entry=entry)
    html = outsider_client.get(f"/changelog/{entry.pk}/{entry.slug}/").content.decode()
    body = html.split('data-testid="entry-body"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and 'href="javascript:' not in body
    assert "&lt;script&gt;" in body


def test_atom_feed_is_valid_atom(
    admin: User, outsider_client: Client, member: User, public_board: Board, private_board: Board
) -> None:
    public = boards.post_create(board=public_board, author=member, title="Public idea", body="")
    secret = boards.post_create(board=private_board, author=member, title="Secret idea", body="")
    _entry(admin, "First", [public, secret])
    _entry(admin, "Second & last")
    _entry(admin, "Draft only", publish=False)
    response = outsider_client.get("/changelog/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  (the feed this test just made)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    # RFC 4287: an author for the feed (or for every entry), and a self link.
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "monoboard"
    assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Second & last", "First"]
    for item in entries:
        for required in ("id", "title", "updated"):
            assert item.findtext(f"{ATOM}{required}"), required
        link = item.find(f"{ATOM}link")
        assert link is not None and "/changelog/" in link.attrib["href"]
        datetime.datetime.fromisoformat(item.findtext(f"{ATOM}updated") or "")
    summary = entries[1].findtext(f"{ATOM}summary") or ""
    assert "Public idea" in summary and "Secret idea" not in summary
    assert "Secret idea" not in response.content.decode()


def test_private_posts_are_hidden_from_visitors(
    admin: User,
    member: User,
    outsider_client: Client,
    public_board: Board,
    private_board: Board,
    anon_api: Any,
    member_api: Any,
) -> None:
    public = boards.post_create(board=public_board, author=member, title="Public idea", body="")
    secret = boards.post_create(board=private_board, author=member, title="Secret idea", body="")
    entry = _entry(admin, "Both", [public, secret])
    path = f"/changelog/{entry.pk}/{entry.slug}/"
    for page in (outsider_client.get(path), outsider_client.get("/changelog/")):
        html = page.content.decode()
        assert "Public idea" in html
        assert "Secret idea" not in html and f"/p/{secret.pk}-" not in html
    seen = client_for(member).get(path).content.decode()
    assert "Secret idea" in seen and f"/b/internal/p/{secret.pk}-secret-idea/" in seen
    api_posts = anon_api.get(f"/changelog/{entry.pk}").json()["posts"]
    assert [p["title"] for p in api_posts] == ["Public idea"]
    listed = anon_api.get("/changelog").json()["items"][0]["posts"]
    assert [p["title"] for p in listed] == ["Public idea"]
    assert [p["title"] for p in member_api.get(f"/changelog/{entry.pk}").json()["posts"]] == [
        "Public idea",
        "Secret idea",
    ]


def test_post_page_says_shipped_in(
    admin: User, member: User, outsider_client: Client, public_board: Board
) -> None:
    post = boards.post_create(board=public_board, author=member, title="Dark mode", body="")
    path = f"/b/features/p/{post.pk}-dark-mode/"
    draft = _entry(admin, "Spring release", [post], publish=False)
    assert "Shipped in" not in outsider_client.get(path).content.decode()
    services.entry_publish(actor=admin, entry=draft)
    html = outsider_client.get(path).content.decode()
    assert "Shipped in" in html
    assert f'href="/changelog/{draft.pk}/spring-release/"' in html
    # A post delivered again and again names the first two entries, then a count.
    for n in range(3):
        _entry(admin, f"Follow-up {n}", [post])
    html = outsider_client.get(path).content.decode()
    shipped = html.split('data-testid="shipped-in">', 1)[1].split("</p>", 1)[0]
    assert "Spring release" in shipped and "Follow-up 0" in shipped
    assert "Follow-up 1" not in shipped and "2 more</a>" in shipped
    # Signed in, the page comes from the members' shared shell: it says so too.
    for viewer in (member, admin):
        for _ in range(2):  # the shell is built, then served again
            seen = client_for(viewer).get(path).content.decode()
            assert "Shipped in" in seen and "/changelog/" in seen


def test_admin_form_errors_keep_what_was_typed(admin: User, member: User) -> None:
    client = client_for(admin)
    response = client.post(
        "/changelog/admin/new/",
        {"title": "Release", "body": "Kept text", "post_ids": "12 banana"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "banana" in html and "is not a post number" in html and "Kept text" in html
    response = client.post("/changelog/admin/new/", {"title": "Release", "post_ids": "999999"})
    assert response.status_code == 400 and "No such post: #999999" in response.content.decode()
    response = client.post("/changelog/admin/new/", {"title": "R"})
    assert response.status_code == 400 and "at least 3 characters" in response.content.decode()
    assert not Entry.objects.exists()
    assert client_for(member).get("/changelog/admin/").status_code == 403
    assert Client().get("/changelog/admin/").status_code == 302


def test_images_are_checked_stored_and_served(admin: User, outsider_client: Client) -> None:
    client = client_for(admin)
    bad = client.post(
        "/changelog/admin/new/",
        {"title": "With a bomb", "body": "Kept", "images": [upload(png_bomb(), "bomb.png")]},
    )
    assert bad.status_code == 400
    assert "bomb.png" in bad.content.decode() and not EntryImage.objects.exists()
    assert not Entry.objects.exists()

    made = client.post(
        "/changelog/admin/new/", {"title": "With a picture", "images": [png_upload()]}
    )
    assert made.status_code == 302
    entry = Entry.objects.get()
    [image] = EntryImage.objects.filter(entry=entry)
    url = f"/changelog/images/{image.key}/"
    assert outsider_client.get(url).status_code == 404  # a draft's image
    assert client.get(url).status_code == 200
    services.entry_publish(actor=admin, entry=entry)
    served = outsider_client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served.getvalue().startswith(b"\x89PNG")
    assert url in outsider_client.get(f"/changelog/{entry.pk}/{entry.slug}/").content.decode()

    # Deleting the entry detaches its image at once; a job removes the file.
    client.post(f"/changelog/admin/{entry.pk}/delete/")
    assert outsider_client.get(url).status_code == 404
    assert services.images_purge(image_ids=[image.pk]) == 1
    assert not EntryImage.objects.exists()


def test_admin_pages_render(admin: User, member: User, public_board: Board) -> None:
    client = client_for(admin)
    post = boards.post_create(board=public_board, author=member, title="Dark mode", body="")
    entry = _entry(admin, "Spring", [post], publish=False)
    listing = client.get("/changelog/admin/")
    assert listing.status_code == 200 and "Spring" in listing.content.decode()
    edit = client.get(f"/changelog/admin/{entry.pk}/")
    assert edit.status_code == 200
    html = edit.content.decode()
    assert "Publish now" in html and str(post.pk) in html
    at = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/changelog/admin/{entry.pk}/schedule/", {"at": at})
    entry.refresh_from_db()
    assert entry.state == "scheduled"
    assert "Cancel the schedule" in client.get(f"/changelog/admin/{entry.pk}/").content.decode()
    client.post(f"/changelog/admin/{entry.pk}/unschedule/")
    entry.refresh_from_db()
    assert entry.state == "draft" and entry.scheduled_at is None


def test_orphan_sweeps_keep_entry_images_and_remove_strays(
    admin: User, outsider_client: Client
) -> None:
    from django.core.files.base import ContentFile

    from monoboard.boards import files
    from monoboard.boards import services as boards_services

    entry = services.entry_create(actor=admin, title="Pictures", uploads=[png_upload()])
    services.entry_publish(actor=admin, entry=entry)
    [image] = EntryImage.objects.all()
    stray = files.storage().save("changelog/left-by-a-crash.png", ContentFile(b"x"))
    later = timezone.now() + datetime.timedelta(days=3)
    # The post attachments' sweep does not know entry images: it leaves them be.
    boards_services.attachments_prune(now=later)
    assert outsider_client.get(f"/changelog/images/{image.key}/").status_code == 200
    # The changelog's own sweep removes the file no row uses, and only that.
    assert services.images_prune(now=timezone.now()) == {"detached": 0, "stray_files": 0}
    assert services.images_prune(now=later) == {"detached": 0, "stray_files": 1}
    assert not files.storage().exists(stray)
    assert outsider_client.get(f"/changelog/images/{image.key}/").status_code == 200
    # A detached image whose purge job never ran goes too.
    services.entry_delete(actor=admin, entry=entry)
    assert services.images_prune(now=later) == {"detached": 1, "stray_files": 0}
    assert not files.storage().exists(image.file_name)
