"""The outbox job against a real SMTP server: delivery, AUTH, STARTTLS, retries."""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.lib.ports import free_port
from monoboard.notifications import delivery
from monoboard.notifications.models import OutboxEmail, OutboxState
from monoboard.notifications.services import outbox_add, outbox_email
from monoboard.notifications.tests.conftest import Jobs
from monoboard.notifications.tests.smtp_server import (
    PASSWORD,
    USERNAME,
    self_signed_cert,
    smtp_mailer,
    smtp_server,
)

# The test server takes AUTH over plain text on loopback on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _queue(address: str = "reader@example.com", **headers: str) -> OutboxEmail:
    return outbox_add(
        outbox_email(
            recipient=address,
            subject="Hello",
            body="Plain body",
            html_body="<p>Hi</p>",
            headers=headers,
        )
    )


def test_message_arrives_over_smtp_with_unsubscribe_headers(jobs: Jobs, settings: Any) -> None:
    email = _queue(**{"List-Unsubscribe": "<https://x.example/u/1/>"})
    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server)
        assert delivery.drain_outbox().sent == 1
    [message] = server.inbox.messages
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "Hello"
    assert message["List-Unsubscribe"] == "<https://x.example/u/1/>"
    assert message.is_multipart()  # plain text plus HTML
    email.refresh_from_db()
    assert email.state == OutboxState.SENT and email.sent_at is not None


def test_smtp_auth(jobs: Jobs, settings: Any) -> None:
    _queue()
    with smtp_server(auth=True) as server:
        settings.MAILERS = smtp_mailer(server, username=USERNAME, password="wrong")
        assert delivery.drain_outbox().retrying == 1
        assert server.inbox.messages == []
        OutboxEmail.objects.update(next_attempt_at=timezone.now())
        settings.MAILERS = smtp_mailer(server, username=USERNAME, password=PASSWORD)
        assert delivery.drain_outbox().sent == 1
    assert server.inbox.logins == [USERNAME]
    assert len(server.inbox.messages) == 1


def test_smtp_starttls(jobs: Jobs, settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    made = self_signed_cert(tmp_path)
    if made is None:
        pytest.skip("the openssl tool is needed to make a test certificate")
    cert, key = made
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The client verifies the server against this certificate, as a real one would.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    _queue()
    with smtp_server(tls_context=context, auth=True) as server:
        settings.MAILERS = smtp_mailer(server, use_tls=True, username=USERNAME, password=PASSWORD)
        result = delivery.drain_outbox()
    assert result.sent == 1, OutboxEmail.objects.get().last_error
    assert len(server.inbox.messages) == 1


def test_failure_is_retried_with_backoff_and_never_sent_twice(jobs: Jobs, settings: Any) -> None:
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    email = _queue()
    # Nothing listens on this port: the send fails.
    settings.MAILERS = smtp_mailer_at(free_port())
    before = timezone.now()
    assert delivery.drain_outbox().retrying == 1
    email.refresh_from_db()
    assert email.state == OutboxState.PENDING
    assert email.attempts == 1
    assert email.last_error
    assert email.next_attempt_at >= before + timedelta(seconds=60)

    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server)
        assert delivery.drain_outbox().sent == 0  # not due yet
        OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        assert delivery.drain_outbox().sent == 1
        assert delivery.drain_outbox().sent == 0  # a second run sends nothing
    assert len(server.inbox.messages) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, email.last_error) == (OutboxState.SENT, 2, "")


def test_second_failure_waits_twice_as_long(jobs: Jobs, settings: Any) -> None:
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    settings.MAILERS = smtp_mailer_at(free_port())
    email = _queue()
    delivery.drain_outbox()
    OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    delivery.drain_outbox()
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at >= before + timedelta(seconds=120)


def test_claimed_row_is_not_sent_by_another_run(jobs: Jobs, settings: Any) -> None:
    email = _queue()
    OutboxEmail.objects.filter(pk=email.pk).update(
        state=OutboxState.SENDING, claimed_at=timezone.now()
    )
    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server)
        assert delivery.drain_outbox().sent == 0
    assert server.inbox.messages == []


def test_gives_up_after_max_attempts_then_admin_retries(
    jobs: Jobs,
    settings: Any,
    admin_client: Client,
    admin: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    settings.MAILERS = smtp_mailer_at(free_port())
    email = _queue()
    delivery.drain_outbox()
    OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert delivery.drain_outbox().failed == 1
    email.refresh_from_db()
    assert email.state == OutboxState.FAILED

    page = admin_client.get("/notifications/admin/")
    assert page.status_code == 200
    assert "reader@example.com" in page.content.decode()
    assert email.last_error in page.content.decode()

    jobs.backend().clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/notifications/admin/retry/", {"email_id": email.pk})
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboxState.PENDING, 0)
    assert jobs.queued() == ["send_emails"]


def smtp_mailer_at(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


def test_a_batch_sends_the_rest_and_hands_a_refused_email_to_its_own_retry_job(
    jobs: Jobs, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    from monoboard.notifications.services import outbox_add_many

    with smtp_server() as server:
        server.inbox.refuse = {"gone@example.com"}
        settings.MAILERS = smtp_mailer(server)
        addresses = ["a@example.com", "gone@example.com", "b@example.com"]
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            outbox_add_many(
                [outbox_email(recipient=a, subject="Hello", body="Plain") for a in addresses]
            )
        assert jobs.queued() == ["send_emails"]  # one job, one connection, three emails
        before = timezone.now()
        jobs.run_once()
        delivered = sorted(rcpt for m in server.inbox.messages for rcpt in m.get_all("To", []))
        assert delivered == ["a@example.com", "b@example.com"]
        refused = OutboxEmail.objects.get(recipient="gone@example.com")
        assert (refused.state, refused.attempts) == (OutboxState.PENDING, 1)
        assert "550" in refused.last_error
        [retry] = jobs.backend().results
        assert retry.task.name == "send_email" and retry.args == [refused.pk]
        assert retry.task.run_after is not None and retry.task.run_after > before
