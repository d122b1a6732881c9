"""Webhooks end to end: register on the admin page, deliver signed, retry, replay."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.jobs.policy import policy_for
from monoboard.webhooks import services
from monoboard.webhooks.delivery import DeliveryFailed
from monoboard.webhooks.models import Attempt, Delivery, Endpoint
from monoboard.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from monoboard.webhooks.tasks import deliver_webhook
from monoboard.webhooks.tests.conftest import Jobs, Receiver


def _register(admin: User, url: str, events: list[str] | None = None) -> tuple[Endpoint, str]:
    new = services.endpoint_create(
        actor=admin, url=url, events=events or ["post.created", "vote.created", "comment.created"]
    )
    return new.endpoint, new.secret


def test_admin_registers_an_endpoint_and_sees_the_secret_once(
    admin_client: Client, member_client: Client
) -> None:
    response = admin_client.post(
        "/webhooks/admin/",
        {"url": "https://example.com/hook", "events": ["post.created"], "description": "CRM"},
        follow=True,
    )
    page = response.content.decode()
    secret = re.search(r"whsec_[A-Za-z0-9_-]+", page)
    assert secret is not None
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["post.created"] and endpoint.secret == secret.group(0)
    again = admin_client.get(f"/webhooks/admin/{endpoint.pk}/").content.decode()
    assert secret.group(0) not in again
    assert member_client.get("/webhooks/admin/").status_code == 403


def test_only_http_urls_and_known_events(admin_client: Client) -> None:
    bad = admin_client.post("/webhooks/admin/", {"url": "ftp://example.com", "events": ["x"]})
    assert "Use an http:// or https:// address." in bad.content.decode()
    assert not Endpoint.objects.exists()


def test_post_created_is_delivered_signed(
    jobs: Jobs, receiver: Receiver, admin: User, member: User, public_board: Board
) -> None:
    endpoint, secret = _register(admin, receiver.url)
    with jobs.capture(execute=True):
        post = boards.post_create(board=public_board, author=member, title="Dark mode")
    with jobs.capture(execute=True):
        assert jobs.run() == 1
    (request,) = receiver.requests
    assert verify(
        secret, request.headers[TIMESTAMP_HEADER], request.body, request.headers[SIGNATURE_HEADER]
    )
    assert not verify(
        "whsec_other",
        request.headers[TIMESTAMP_HEADER],
        request.body,
        request.headers[SIGNATURE_HEADER],
    )
    payload = json.loads(request.body)
    assert payload["event"] == "post.created"
    assert payload["data"]["post"]["id"] == post.pk
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == Delivery.State.SUCCEEDED
    assert Attempt.objects.get(delivery=delivery).status_code == 200


def test_vote_created_only_when_a_vote_is_added(
    jobs: Jobs, receiver: Receiver, admin: User, member: User, other_member: User,
    public_board: Board,
) -> None:  # fmt: skip
    _register(admin, receiver.url, ["vote.created"])
    post = boards.post_create(board=public_board, author=member, title="Dark mode")
    with jobs.capture(execute=True):
        boards.vote_toggle(post=post, user=other_member)
    with jobs.capture(execute=True):
        boards.vote_toggle(post=post, user=other_member)  # taken back: no webhook
    jobs.run()
    assert Delivery.objects.filter(event="vote.created").count() == 1
    assert json.loads(receiver.requests[0].body)["data"]["vote_count"] == 2


def test_a_500_fails_the_job_so_it_is_retried_then_succeeds(
    jobs: Jobs, receiver: Receiver, admin: User, member: User, public_board: Board,
    admin_client: Client,
) -> None:  # fmt: skip
    endpoint, _ = _register(admin, receiver.url)
    receiver.replies = [500]
    with jobs.capture(execute=True):
        boards.post_create(board=public_board, author=member, title="Dark mode")
    (job,) = jobs.take()
    with pytest.raises(DeliveryFailed):
        job.task.call(*job.args)  # the worker records the failure and retries later
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED
    first = Attempt.objects.get(delivery=delivery)
    assert (first.number, first.status_code, first.response_excerpt) == (1, 500, "boom")
    job.task.call(*job.args)  # the retry
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    page = admin_client.get(f"/webhooks/admin/{endpoint.pk}/").content.decode()
    assert "HTTP 500" in page and "HTTP 200" in page


def test_retry_policy_is_registered(settings: Any) -> None:
    policy = policy_for(deliver_webhook.module_path)
    assert policy.max_attempts == settings.WEBHOOKS_MAX_ATTEMPTS > 1


def test_replay_from_the_admin_page_sends_the_same_body_again(
    jobs: Jobs, receiver: Receiver, admin: User, member: User, public_board: Board,
    admin_client: Client,
) -> None:  # fmt: skip
    endpoint, _ = _register(admin, receiver.url)
    with jobs.capture(execute=True):
        boards.post_create(board=public_board, author=member, title="Dark mode")
    jobs.run()
    delivery = Delivery.objects.get()
    with jobs.capture(execute=True):
        response = admin_client.post(
            f"/webhooks/admin/{endpoint.pk}/deliveries/{delivery.pk}/replay/"
        )
    assert response.status_code == 302
    assert jobs.run() == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert Attempt.objects.filter(delivery=delivery).count() == 2


def test_unreachable_receiver_is_logged(
    jobs: Jobs, admin: User, member: User, public_board: Board, settings: Any
) -> None:
    from monoboard.lib.ports import free_port

    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the unreachable port is on loopback

    _register(admin, f"http://127.0.0.1:{free_port()}/nobody-listens")
    with jobs.capture(execute=True):
        boards.post_create(board=public_board, author=member, title="Dark mode")
    with pytest.raises(DeliveryFailed):
        jobs.run()
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "Connection refused" in attempt.error


def test_old_deliveries_are_pruned(jobs: Jobs, admin: User, settings: Any) -> None:
    import datetime

    from django.utils import timezone

    from monoboard.webhooks.tasks import prune_deliveries

    endpoint, _ = _register(admin, "https://example.com/hook")
    old = Delivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    Delivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=settings.WEBHOOKS_KEEP_DAYS + 1)
    )
    Delivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    assert prune_deliveries.call() == 1
    assert Delivery.objects.count() == 1
