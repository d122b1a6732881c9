"""An email whose worker dies mid-send goes out within about a lease, not 15 minutes.

Each email is its own job: the jobs worker's heartbeat decides when a dead
worker's job is taken up again (JOBS_LEASE_S), and the email keeps one
Message-ID on every try, so a mail server that already took it can drop
the copy.
"""

from __future__ import annotations

import signal
import time

import pytest
from django.db import transaction

from monoboard.jobs.tests.conftest import StartWorker, start_worker, wait_until
from monoboard.notifications import services
from monoboard.notifications.models import OutboxEmail, OutboxState
from monoboard.notifications.tests.smtp_server import smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
__all__ = ["start_worker"]


def test_a_worker_killed_mid_send_is_replaced_within_its_lease(
    start_worker: StartWorker,
) -> None:
    with smtp_server() as server:
        server.inbox.stall = 1
        with transaction.atomic():
            email = services.outbox_add(
                services.outbox_email(
                    recipient="reader@example.com", subject="Status changed", body="Planned."
                )
            )
        env = {
            "EMAIL_MODE": "smtp",
            "EMAIL_HOST": server.host,
            "EMAIL_PORT": str(server.port),
            "EMAIL_USE_TLS": "false",
            "JOBS_LEASE_S": "2",
        }
        first = start_worker(**env)
        wait_until(lambda: len(server.inbox.messages) == 1, what="the first try to reach DATA")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert OutboxEmail.objects.get(pk=email.pk).state == OutboxState.SENDING

        start_worker(**env)
        wait_until(
            lambda: OutboxEmail.objects.get(pk=email.pk).state == OutboxState.SENT,
            timeout=30,
            what="the email to be sent by the second worker",
        )
        recovered_s = time.monotonic() - killed_at
        print(f"email sent {recovered_s:.1f} s after its worker was killed (lease 2 s)")
        ids = {m["Message-ID"] for m in server.inbox.messages}
        assert len(server.inbox.messages) == 2
        assert len(ids) == 1  # the resend is recognisably the same email
        assert OutboxEmail.objects.get(pk=email.pk).attempts == 2
