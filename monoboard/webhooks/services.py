"""Writes for webhooks: endpoints (admins only), deliveries and replays."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from monoboard.boards import access
from monoboard.jobs import enqueue_on_commit
from monoboard.webhooks import addresses
from monoboard.webhooks.models import EVENT_KINDS, Delivery, Endpoint

if TYPE_CHECKING:
    from monoboard.accounts.models import User


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown to the admin once


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// address."})
    if len(url) > 500:
        raise ValidationError({"url": "Keep the address under 500 characters."})
    try:
        addresses.check_host(parts.hostname)
    except addresses.AddressRefused as exc:
        raise ValidationError({"url": f"This address cannot receive webhooks: {exc}."}) from exc
    return url


def _clean_events(events: list[str]) -> list[str]:
    chosen = [kind for kind in EVENT_KINDS if kind in set(events)]
    unknown = set(events) - set(EVENT_KINDS)
    if unknown:
        raise ValidationError({"events": f"Unknown event: {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"events": "Pick at least one event."})
    return chosen


def endpoint_create(
    *, actor: User, url: str, events: list[str], description: str = ""
) -> NewEndpoint:
    access.require_admin(actor)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = Endpoint.objects.create(
        url=_clean_url(url),
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=secret,
        created_by=actor,
    )
    return NewEndpoint(endpoint=endpoint, secret=secret)


def endpoint_set_active(*, actor: User, endpoint: Endpoint, active: bool) -> Endpoint:
    access.require_admin(actor)
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active"])
    return endpoint


def endpoint_delete(*, actor: User, endpoint: Endpoint) -> None:
    access.require_admin(actor)
    endpoint.delete()


def active_endpoints() -> list[Endpoint]:
    return list(Endpoint.objects.filter(is_active=True))


@transaction.atomic(savepoint=False)
def deliveries_create(
    event: str, payload: dict[str, Any], endpoints: list[Endpoint] | None = None
) -> list[Delivery]:
    """One delivery per active endpoint that wants ``event``, each queued as a job.

    ``endpoints``: the active endpoints, when the caller has already read them
    (the event consumer reads them once per batch).
    """
    from monoboard.webhooks.tasks import deliver_webhook

    created = []
    for endpoint in active_endpoints() if endpoints is None else endpoints:
        if event not in endpoint.events:
            continue
        delivery = Delivery.objects.create(endpoint=endpoint, event=event, payload=payload)
        delivery.payload = {**payload, "delivery_id": delivery.pk}
        delivery.save(update_fields=["payload"])
        enqueue_on_commit(deliver_webhook, delivery.pk)
        created.append(delivery)
    return created


@transaction.atomic
def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send the same body again (for example once the receiver is fixed)."""
    from monoboard.webhooks.tasks import deliver_webhook

    access.require_admin(actor)
    delivery.state = Delivery.State.PENDING
    delivery.save(update_fields=["state"])
    enqueue_on_commit(deliver_webhook, delivery.pk)
    return delivery


def deliveries_prune(*, batch: int = 500) -> int:
    """Delete deliveries older than WEBHOOKS_KEEP_DAYS; short transactions per batch."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    deleted = 0
    while True:
        ids = list(
            Delivery.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        Delivery.objects.filter(id__in=ids).delete()
        deleted += len(ids)
