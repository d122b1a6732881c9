"""The batch path of a fan-out: templates rendered once per event, emails sent in bulk.

Each recipient must still get exactly their own name and unsubscribe link
(in both bodies and the List-Unsubscribe header), and a batch whose worker
dies halfway sends the rest, once each, after it is taken up again.
"""

from __future__ import annotations

import re
import signal
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from conftest import make_user
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Post
from monoboard.jobs.tests.conftest import StartWorker, start_worker, wait_until
from monoboard.notifications import services
from monoboard.notifications.models import Delivery, Kind, OutboxEmail, OutboxState, Preference
from monoboard.notifications.tests.conftest import Jobs
from monoboard.notifications.tests.smtp_server import smtp_mailer, smtp_server

__all__ = ["start_worker"]

Capture = Any
UNSUBSCRIBE = re.compile(r"https://feedback\.example\.com/notifications/unsubscribe/[^/\s\"<>]+/")


def _parts(message: Message) -> tuple[str, str]:
    """The plain-text and HTML bodies of a received message, decoded."""
    plain = html = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text = payload.decode(part.get_content_charset() or "utf-8")
        if part.get_content_type() == "text/plain":
            plain = text
        elif part.get_content_type() == "text/html":
            html = text
    return plain, html


def test_each_recipient_gets_their_own_name_and_unsubscribe_link_over_smtp(
    jobs: Jobs, settings: Any, post: Post, member: User, django_capture_on_commit_callbacks: Capture
) -> None:
    voters = [
        make_user("ann@example.com", name="Ann Able"),
        make_user("zoe@example.com", name="Zoë <O'Neil> & Co"),
        make_user("bob@example.com"),  # no name: the address's local part
    ]
    digest = make_user("dee@example.com", name="Dee Digest")
    Preference.objects.create(user=digest, kind=Kind.COMMENT, delivery=Delivery.DIGEST)
    commenter = make_user("cora@example.com", name="Cora")
    with django_capture_on_commit_callbacks(execute=True):
        for user in [*voters, digest]:
            boards.vote_toggle(post=post, user=user)
    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server)
        with django_capture_on_commit_callbacks(execute=True):
            boards.comment_create(post=post, author=commenter, body="Yes — “please”")
        assert jobs.run() == ["fan_out_event", "send_emails"]
    received = {m["To"]: m for m in server.inbox.messages}
    # The author and the instant voters; the digest voter waits for the digest.
    assert set(received) == {member.email, *(v.email for v in voters)}
    links_seen = set()
    for user in [member, *voters]:
        message = received[user.email]
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject == "[monoboard] Cora commented on “Dark mode”."
        plain, html = _parts(message)
        assert f"Hi {user.display_name}," in plain
        assert "Yes — “please”" in plain
        [link] = set(UNSUBSCRIBE.findall(plain))
        assert set(UNSUBSCRIBE.findall(html)) == {link}
        assert message["List-Unsubscribe"] == f"<{link}>"
        links_seen.add(link)
        # The link names this recipient, and turns off only their comment emails.
        assert Client().post(link.removeprefix("https://feedback.example.com")).status_code == 200
        assert Preference.objects.get(user=user, kind=Kind.COMMENT).delivery == Delivery.NONE
    assert len(links_seen) == 4
    zoe_html = _parts(received["zoe@example.com"])[1]
    assert "Hi Zoë &lt;O&#x27;Neil&gt; &amp; Co," in zoe_html  # escaped in HTML only
    assert "<O'Neil>" not in zoe_html
    assert "Hi Zoë <O'Neil> & Co," in _parts(received["zoe@example.com"])[0]
    sent = OutboxEmail.objects.filter(state=OutboxState.SENT)
    assert sent.count() == 4 and not sent.filter(sent_at__isnull=True).exists()


def test_batch_emails_match_what_each_recipient_rendered_alone(
    jobs: Jobs, post: Post, member: User, django_capture_on_commit_callbacks: Capture
) -> None:
    """The once-rendered batch gives the same bodies as rendering each email alone."""
    from django.template.loader import render_to_string

    from monoboard.notifications import links

    voters = [make_user(f"v{i}@example.com", name=f"Voter {i} <b>") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        for user in voters:
            boards.vote_toggle(post=post, user=user)
        boards.comment_create(post=post, author=voters[0], body="A <b>bold</b> idea")
    jobs.run()
    rows = {e.recipient: e for e in OutboxEmail.objects.all()}
    assert set(rows) == {member.email, *(v.email for v in voters[1:])}
    for user in [member, *voters[1:]]:
        [url] = set(UNSUBSCRIBE.findall(rows[user.email].body))
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert links.read_unsubscribe_token(token) == (user.pk, Kind.COMMENT)
        context = {
            "site_name": "monoboard",
            "preferences_url": "https://feedback.example.com/notifications/preferences/",
            "user_name": user.display_name,
            "unsubscribe_url": url,
            "message": {"text": f"{voters[0].display_name} commented on “Dark mode”.",
                        "detail": "A <b>bold</b> idea"},
            "kind_label": "New comments",
            "post_url": rows[user.email].body.split("View the post: ")[1].split("\n")[0],
        }  # fmt: skip
        assert rows[user.email].body == render_to_string("notifications/email/event.txt", context)
        assert rows[user.email].html_body == render_to_string(
            "notifications/email/event.html", context
        )
        assert rows[user.email].headers["List-Unsubscribe"] == f"<{url}>"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(rows)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_batch_interrupted_halfway_sends_the_rest_once_after_restart(
    start_worker: StartWorker,
) -> None:
    with smtp_server() as server:
        server.inbox.stall_at = 5  # the worker dies while the server holds the 5th email
        addresses = [f"reader{i}@example.com" for i in range(10)]
        with transaction.atomic():
            services.outbox_add_many(
                [
                    services.outbox_email(recipient=a, subject="Planned", body=f"Hello {a}")
                    for a in addresses
                ]
            )
        env = {
            "EMAIL_MODE": "smtp",
            "EMAIL_HOST": server.host,
            "EMAIL_PORT": str(server.port),
            "EMAIL_USE_TLS": "false",
            "JOBS_LEASE_S": "2",
        }
        first = start_worker(**env)
        wait_until(lambda: len(server.inbox.messages) == 5, what="the 5th email to reach DATA")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # A batch sends in the order its emails were queued.
        assert [str(m["To"]) for m in server.inbox.messages] == addresses[:5]
        in_flight = addresses[4]
        states = dict(OutboxEmail.objects.values_list("recipient", "state"))
        sent_first = {str(m["To"]) for m in server.inbox.messages[:4]}
        assert {a for a, state in states.items() if state == OutboxState.SENT} == sent_first
        # The rest are still claimed by the dead worker's job.
        assert {states[a] for a in addresses if a not in sent_first} == {OutboxState.SENDING}

        start_worker(**env)
        wait_until(
            lambda: not OutboxEmail.objects.exclude(state=OutboxState.SENT).exists(),
            timeout=30,
            what="the rest of the batch to be sent by the second worker",
        )
        got: dict[str, list[str]] = {}
        for message in server.inbox.messages:
            got.setdefault(str(message["To"]), []).append(str(message["Message-ID"]))
        # Every email arrived; only the one in flight when the worker died came
        # twice, with the same Message-ID, so the server can drop the copy.
        assert sorted(got) == sorted(addresses)
        assert {a: len(ids) for a, ids in got.items() if len(ids) > 1} == {in_flight: 2}
        assert len(set(got[in_flight])) == 1
        assert len(server.inbox.messages) == 11


def test_emails_of_every_shape_arrive_whole_over_smtp(jobs: Jobs, settings: Any) -> None:
    """Curly quotes and accents, no HTML, and a line too long for SMTP (built by Django)."""
    from monoboard.notifications import delivery

    long_line = "word " * 300  # 1,500 characters: past SMTP's 998, so quoted-printable
    shapes = {
        "a@example.com": ("Zoë\u2019s “idea”", "Crème brûlée\n\nSecond paragraph.", "<p>Crème</p>"),
        "b@example.com": ("Plain", "Only text, no HTML.", ""),
        "c@example.com": ("Long", f"Start\n{long_line}\nEnd", f"<p>{long_line}</p>"),
    }
    with transaction.atomic():
        services.outbox_add_many(
            [
                services.outbox_email(recipient=to, subject=subject, body=body, html_body=html)
                for to, (subject, body, html) in shapes.items()
            ]
        )
    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server)
        assert delivery.drain_outbox().sent == 3
    received = {str(m["To"]): m for m in server.inbox.messages}
    for to, (subject, body, html) in shapes.items():
        message = received[to]
        assert str(make_header(decode_header(message["Subject"]))) == subject
        assert message["Message-ID"] and message["Date"]
        plain, html_part = _parts(message)
        assert plain.replace("\r\n", "\n").rstrip("\n") == body
        assert html_part.replace("\r\n", "\n").rstrip("\n") == html
