"""Publishing an entry: statuses through the post status service, one announcement
per person (instant or digest), scheduled publication exactly once, webhooks."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core import mail
from django.test import Client
from django.utils import timezone

from conftest import client_for, make_user
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status, StatusChange
from monoboard.changelog.models import Entry, EntryState
from monoboard.core.models import Event
from monoboard.notifications.models import Notification, Preference
from monoboard.notifications.tests.conftest import Jobs, sent_to

Capture = Any


def _posts(board: Board, author: User, *titles: str) -> list[Post]:
    return [boards.post_create(board=board, author=author, title=t, body="") for t in titles]


def _write(client: Client, posts: list[Post], **extra: Any) -> Entry:
    data = {
        "title": "March release",
        "body": "Two things **you asked for**.",
        "post_ids": ", ".join(str(p.pk) for p in posts),
        "shipped_status": Status.objects.get(slug="done").pk,
        **extra,
    }
    response = client.post("/changelog/admin/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Entry.objects.latest("id")


def test_publish_marks_shipped_and_tells_each_person_once(
    jobs: Jobs,
    admin: User,
    member: User,
    other_member: User,
    public_board: Board,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    dark, export, other = _posts(public_board, member, "Dark mode", "CSV export", "Unrelated")
    fan = make_user("fan@example.com", name="Fan")  # votes for both linked posts
    digester = make_user("dig@example.com", name="Digest reader")
    commenter = make_user("cora@example.com", name="Cora")
    bystander = make_user("bea@example.com", name="Bea")
    with django_capture_on_commit_callbacks(execute=True):
        for post in (dark, export):
            boards.vote_toggle(post=post, user=fan)
            boards.vote_toggle(post=post, user=digester)
        boards.comment_create(post=export, author=commenter, body="Yes please")
        boards.vote_toggle(post=other, user=bystander)
    client_for(digester).post(
        "/notifications/preferences/",
        {"status_changed": "digest", "comment": "instant", "official_response": "instant"},
    )
    jobs.run()
    mail.outbox.clear()
    Notification.objects.all().delete()

    admin_client = client_for(admin)
    entry = _write(admin_client, [dark, export], mark_shipped="on")
    assert entry.state == EntryState.DRAFT
    assert client_for(member).get(f"/changelog/{entry.pk}/{entry.slug}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/changelog/admin/{entry.pk}/publish/")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED and entry.published_at is not None

    # The status moved through the post status service: history and events as usual.
    done = Status.objects.get(slug="done")
    for post in (dark, export):
        post.refresh_from_db()
        assert post.status_id == done.pk
        change = StatusChange.objects.get(post=post, to_status=done)
        assert change.changed_by_id == admin.pk and "March release" in change.note
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["post.status_changed", "post.status_changed", "changelog.published"]

    jobs.run()
    # One notification per person, whatever the number of linked posts they follow.
    told = sorted(Notification.objects.values_list("user__email", flat=True))
    assert told == sorted([member.email, fan.email, digester.email, commenter.email])
    assert bystander.email not in told and admin.email not in told
    assert len(sent_to(fan.email)) == 1, [m.subject for m in sent_to(fan.email)]
    message = sent_to(fan.email)[0]
    assert "Dark mode" in message.subject and "1 more" in message.subject
    body = str(message.body)
    assert "CSV export" in body and f"/changelog/{entry.pk}/" in body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/notifications/unsubscribe/" in unsubscribe
    # The digest reader gets nothing now, and one item in the next digest.
    assert sent_to(digester.email) == []
    assert Notification.objects.get(user=digester).digest_pending
    # No per-post status email went out beside the announcement.
    assert len(mail.outbox) == 3

    from monoboard.notifications.tasks import send_daily_digests

    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.call() == 1
    jobs.run()
    [digest] = sent_to(digester.email)
    assert "1 update" in digest.subject and "March release" in str(digest.body)

    # The announcement job run again tells nobody twice.
    from monoboard.changelog.tasks import announce_entry

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_entry.call(entry.pk, admin.pk) == 0
    jobs.run()
    assert mail.outbox == []
    assert Notification.objects.count() == 4

    # The one-click unsubscribe from the email works like the others'.
    path = unsubscribe.removeprefix("https://feedback.example.com")
    assert Client().post(path).status_code == 200

    assert Preference.objects.get(user=fan, kind="status_changed").delivery == "none"


def test_publish_without_marking_leaves_statuses(
    jobs: Jobs,
    admin: User,
    member: User,
    public_board: Board,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    [post] = _posts(public_board, member, "Keyboard shortcuts")
    entry = _write(client_for(admin), [post])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(f"/changelog/admin/{entry.pk}/publish/")
    post.refresh_from_db()
    assert post.status.slug == "open"
    jobs.run()
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_scheduled_entry_publishes_once_at_its_time(
    jobs: Jobs,
    admin: User,
    member: User,
    public_board: Board,
    admin_api: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    [post] = _posts(public_board, member, "Offline mode")
    created = admin_api.post(
        "/changelog", {"title": "Offline", "post_ids": [post.pk], "mark_shipped": True}
    )
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    at = timezone.now() + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = admin_api.post(f"/changelog/{entry_id}/publish", {"at": at.isoformat()})
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["state"] == "scheduled"

    queued = [r for r in jobs.results() if r.task.name == "publish_scheduled"]
    assert len(queued) == 1 and queued[0].args == [entry_id]
    assert abs((queued[0].task.run_after - at).total_seconds()) < 1

    from monoboard.changelog import services
    from monoboard.changelog.tasks import publish_scheduled

    # Too early (a clock that runs ahead): nothing happens.
    assert publish_scheduled.call(entry_id) is False
    assert Entry.objects.get(pk=entry_id).state == EntryState.SCHEDULED
    # At its time; then a second run (a crashed worker's job run again) publishes nothing more.
    later = at + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.entry_publish_due(entry_id=entry_id, now=later) is True
        assert services.entry_publish_due(entry_id=entry_id, now=later) is False
    assert Event.objects.filter(kind="changelog.published").count() == 1
    post.refresh_from_db()
    assert post.status.slug == "done"
    assert Entry.objects.get(pk=entry_id).state == EntryState.PUBLISHED
    jobs.backend().clear()
    jobs.run()
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_schedule_in_the_past_is_refused_and_moved_schedule_is_not_early(
    jobs: Jobs, admin: User, admin_api: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    entry_id = admin_api.post("/changelog", {"title": "Later"}).json()["id"]
    past = timezone.now() - datetime.timedelta(minutes=5)
    refused = admin_api.post(f"/changelog/{entry_id}/publish", {"at": past.isoformat()})
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "at" in refused.json()["errors"]

    from monoboard.changelog import services

    first = timezone.now() + datetime.timedelta(hours=1)
    second = timezone.now() + datetime.timedelta(hours=5)
    admin_api.post(f"/changelog/{entry_id}/publish", {"at": first.isoformat()})
    admin_api.post(f"/changelog/{entry_id}/publish", {"at": second.isoformat()})
    # The first schedule's job comes due: the entry now waits for the second.
    probe = first + datetime.timedelta(seconds=1)
    assert services.entry_publish_due(entry_id=entry_id, now=probe) is False
    assert Entry.objects.get(pk=entry_id).state == EntryState.SCHEDULED


def test_changelog_published_webhook(
    jobs: Jobs,
    admin: User,
    member: User,
    public_board: Board,
    private_board: Board,
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from monoboard.webhooks import services as webhooks
    from monoboard.webhooks.models import Delivery

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    webhooks.endpoint_create(
        actor=admin, url="http://127.0.0.1:9/hooks", events=["changelog.published"]
    )
    [public] = _posts(public_board, member, "Public idea")
    [secret] = _posts(private_board, member, "Secret idea")
    entry = _write(client_for(admin), [public, secret], mark_shipped="on")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(f"/changelog/admin/{entry.pk}/publish/")
    jobs.results()  # the consumers run
    [delivery] = Delivery.objects.all()
    payload = delivery.payload
    assert isinstance(payload, dict), json.dumps(payload)[:200]
    assert payload["event"] == "changelog.published"
    data = payload["data"]
    assert data["entry"]["title"] == "March release"
    assert data["entry"]["url"].endswith(f"/changelog/{entry.pk}/{entry.slug}/")
    visibility = {p["title"]: p["visibility"] for p in data["posts"]}
    assert visibility == {"Public idea": "public", "Secret idea": "members"}
    assert sorted(data["shipped_post_ids"]) == sorted([public.pk, secret.pk])


def test_a_deleted_shipped_status_falls_back_to_done(
    jobs: Jobs, admin: User, member: User, public_board: Board
) -> None:
    [post] = _posts(public_board, member, "Emoji reactions")
    shipped = boards.status_save(
        actor=admin, fields=boards.StatusFields(name="Shipped", color="#16a34a")
    )
    entry = _write(client_for(admin), [post], mark_shipped="on", shipped_status=shipped.pk)
    assert entry.shipped_status_id == shipped.pk
    boards.status_delete(actor=admin, status=shipped)
    client_for(admin).post(f"/changelog/admin/{entry.pk}/publish/")
    post.refresh_from_db()
    assert post.status.slug == "done"
