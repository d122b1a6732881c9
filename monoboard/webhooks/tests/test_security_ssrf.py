"""Webhook endpoints cannot reach the server's own network (SSRF).

Addresses that are loopback, private, link-local (cloud metadata), multicast,
reserved or unspecified are refused when an endpoint is saved and again when
a delivery connects, after resolving the host. WEBHOOKS_ALLOW_PRIVATE lets an
on-premise site deliver to its private and loopback receivers.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.webhooks import services
from monoboard.webhooks.models import Attempt, Delivery, Endpoint
from monoboard.webhooks.tests.conftest import Jobs, Receiver

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[fe80::1]/hook",  # IPv6 link-local
    "http://127.0.0.1:8080/hook",  # loopback
    "http://localhost/hook",  # a name for loopback
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/hook",
    "http://10.0.0.5/hook",  # private
    "http://192.168.1.10/hook",
    "http://172.16.0.1/hook",
    "http://[fd00::1]/hook",  # unique local IPv6
    "http://0.0.0.0/hook",  # unspecified
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://2130706433/hook",  # 127.0.0.1 as one number
]


@pytest.mark.parametrize("url", REFUSED)
def test_admin_page_refuses_internal_addresses(admin_client: Client, url: str) -> None:
    response = admin_client.post("/webhooks/admin/", {"url": url, "events": ["post.created"]})
    assert response.status_code in (200, 400)
    assert "cannot receive webhooks" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_public_addresses_are_accepted(admin_client: Client) -> None:
    response = admin_client.post(
        "/webhooks/admin/", {"url": "https://93.184.215.14/hook", "events": ["post.created"]}
    )
    assert response.status_code == 302
    assert Endpoint.objects.count() == 1


def test_allow_private_lets_on_premise_receivers_in_but_never_metadata(
    admin: User, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    for url in ("http://10.0.0.5/hook", "http://127.0.0.1:8080/hook", "http://localhost/h"):
        services.endpoint_create(actor=admin, url=url, events=["post.created"])
    for url in ("http://169.254.169.254/latest/", "http://[fe80::1]/", "http://0.0.0.0/"):
        with pytest.raises(ValidationError) as refused:
            services.endpoint_create(actor=admin, url=url, events=["post.created"])
        assert "url" in refused.value.message_dict


def test_delivery_checks_the_resolved_address_and_does_not_retry(
    jobs: Jobs,
    receiver: Receiver,
    admin: User,
    member: User,
    public_board: Board,
    settings: Any,
) -> None:
    # Saved while private receivers were allowed; a name, resolved when delivering.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    url = receiver.url.replace("127.0.0.1", "localhost")
    endpoint = services.endpoint_create(actor=admin, url=url, events=["post.created"]).endpoint
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with jobs.capture(execute=True):
        boards.post_create(board=public_board, author=member, title="Dark mode")
    with jobs.capture(execute=True):
        # The job ends without raising: the worker does not retry it.
        assert jobs.run() >= 1
    assert receiver.requests == []
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == Delivery.State.FAILED
    attempt = Attempt.objects.get(delivery=delivery)
    assert attempt.status_code is None
    assert "Refused: localhost resolves to" in attempt.error
    assert "loopback" in attempt.error
    jobs.take()

    # Allowed again, the same delivery goes through.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with jobs.capture(execute=True):
        services.delivery_replay(actor=admin, delivery=delivery)
    with jobs.capture(execute=True):
        jobs.run()
    assert len(receiver.requests) == 1
