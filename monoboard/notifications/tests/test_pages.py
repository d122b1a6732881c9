"""The pages people use: inbox and bell, preferences, unsubscribe, the admin page."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Post
from monoboard.notifications import links
from monoboard.notifications.models import Kind, Notification, OutboxEmail, Preference
from monoboard.notifications.selectors import preferences
from monoboard.notifications.tests.conftest import Jobs, sent_to

Capture = Any


def _notify(user: User, post: Post, text: str = "Something happened") -> Notification:
    return Notification.objects.create(user=user, kind=Kind.COMMENT, post=post, text=text)


def test_inbox_lists_notifications_with_unread_count(
    member_client: Client, member: User, other_member: User, post: Post
) -> None:
    first = _notify(member, post, "Oscar commented on Dark mode")
    _notify(member, post, "Mo changed Dark mode to Planned")
    _notify(other_member, post, "Not yours")
    page = member_client.get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Oscar commented on Dark mode" in html and "Not yours" not in html
    assert "2 unread" in html
    assert re.search(r'class="notif-badge"[^>]*>2<', html)  # the bell in the nav

    member_client.post(f"/notifications/{first.pk}/read/")
    assert "1 unread" in member_client.get("/notifications/").content.decode()
    member_client.post("/notifications/read-all/")
    html = member_client.get("/notifications/").content.decode()
    assert "unread" not in html and "notif-badge" not in html


def test_cannot_mark_someone_elses_notification(
    client: Client, other_member: User, member: User, post: Post
) -> None:
    theirs = _notify(member, post)
    client.force_login(other_member)
    client.post(f"/notifications/{theirs.pk}/read/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_marks_read_and_goes_to_post(member_client: Client, member: User, post: Post) -> None:
    n = _notify(member, post)
    response = member_client.post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == links.post_path(post)
    n.refresh_from_db()
    assert n.read_at is not None


def test_inbox_needs_sign_in(outsider_client: Client) -> None:
    response = outsider_client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_preferences_page_saves_and_refuses_bad_choice(member_client: Client, member: User) -> None:
    assert member_client.get("/notifications/preferences/").status_code == 200
    response = member_client.post(
        "/notifications/preferences/",
        {"status_changed": "digest", "comment": "none", "official_response": "instant"},
    )
    assert response.status_code == 302
    assert preferences(member.pk) == {
        "status_changed": "digest",
        "comment": "none",
        "official_response": "instant",
    }
    bad = member_client.post(
        "/notifications/preferences/",
        {"status_changed": "hourly", "comment": "none", "official_response": "instant"},
    )
    assert bad.status_code == 400
    assert preferences(member.pk)["status_changed"] == "digest"


def _unsubscribe_url_from_email(
    jobs: Jobs, post: Post, member: User, moderator: User, capture: Capture
) -> str:
    with capture(execute=True):
        boards.comment_create(post=post, author=moderator, body="Thanks for this")
    jobs.run()
    [message] = sent_to(member.email)
    header = str(message.extra_headers["List-Unsubscribe"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    assert url.startswith("https://feedback.example.com/notifications/unsubscribe/")
    assert url in str(message.body)
    return url.removeprefix("https://feedback.example.com")


def test_unsubscribe_link_confirms_then_unsubscribes(
    jobs: Jobs,
    post: Post,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    path = _unsubscribe_url_from_email(
        jobs, post, member, moderator, django_capture_on_commit_callbacks
    )
    # A visitor's browser, signed in or not, and a mail client's one-click POST
    # without a CSRF token must all work.
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200
    assert "new comments" in page.content.decode()
    assert preferences(member.pk)["comment"] == "instant"  # GET changes nothing
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert preferences(member.pk)["comment"] == "none"
    assert preferences(member.pk)["status_changed"] == "instant"


def test_tampered_unsubscribe_link_is_refused(
    jobs: Jobs,
    post: Post,
    member: User,
    other_member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    path = _unsubscribe_url_from_email(
        jobs, post, member, moderator, django_capture_on_commit_callbacks
    )
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = links.unsubscribe_token(other_member.pk, "comment").split(":")[0]
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        forged + token[token.index(":") :],
    ):
        response = Client().post(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert Client().get(f"/notifications/unsubscribe/{bad}/").status_code == 400
    assert not Preference.objects.exists()


def test_admin_page_is_for_admins_only(
    member_client: Client, moderator_client: Client, outsider_client: Client
) -> None:
    assert member_client.get("/notifications/admin/").status_code == 403
    assert moderator_client.get("/notifications/admin/").status_code == 403
    assert (
        member_client.post("/notifications/admin/test/", {"address": "x@example.com"}).status_code
        == 403
    )
    assert member_client.post("/notifications/admin/retry/").status_code == 403
    assert outsider_client.get("/notifications/admin/").status_code == 302
    assert not OutboxEmail.objects.exists()


def test_admin_test_email_goes_through_the_outbox(
    jobs: Jobs, admin_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/notifications/admin/test/", {"address": "ops@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []  # nothing is sent inside the request
    assert jobs.queued() == ["send_email"]
    jobs.run()
    [message] = sent_to("ops@example.com")
    assert "Test email" in message.subject
    page = admin_client.get("/notifications/admin/").content.decode()
    assert "ops@example.com" in page and "sent" in page
    bad = admin_client.post("/notifications/admin/test/", {"address": "not an address"})
    assert bad.status_code == 400


def test_post_page_follow_button_follows_and_unfollows(
    member_client: Client, other_member: User, post: Post
) -> None:
    page_url = links.post_path(post)
    assert "Unfollow" in member_client.get(page_url).content.decode()  # the author follows
    viewer = Client()
    viewer.force_login(other_member)
    assert ">Follow<" in viewer.get(page_url).content.decode()
    response = viewer.post(f"/notifications/follow/{post.pk}/", {"follow": "1", "next": page_url})
    assert response["Location"] == page_url
    assert "Unfollow" in viewer.get(page_url).content.decode()
    viewer.post(f"/notifications/follow/{post.pk}/", {"follow": "0", "next": page_url})
    assert ">Follow<" in viewer.get(page_url).content.decode()


def test_digest_unsubscribe_stops_only_the_digest(
    jobs: Jobs,
    member: User,
    member_client: Client,
    post: Post,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    member_client.post(
        "/notifications/preferences/",
        {"status_changed": "digest", "comment": "instant", "official_response": "digest"},
    )
    Notification.objects.create(
        user=member, kind=Kind.STATUS_CHANGED, post=post, text="Now planned", digest_pending=True
    )
    from monoboard.notifications.tasks import send_daily_digests

    with django_capture_on_commit_callbacks(execute=True):
        send_daily_digests.call()
    jobs.run()
    [digest] = sent_to(member.email)
    url = str(digest.extra_headers["List-Unsubscribe"]).strip("<>")
    Client(enforce_csrf_checks=True).post(url.removeprefix("https://feedback.example.com"))
    assert preferences(member.pk) == {
        "status_changed": "none",
        "comment": "instant",
        "official_response": "none",
    }
