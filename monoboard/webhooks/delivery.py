"""One delivery attempt: POST the signed body, log what happened."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from monoboard.webhooks import addresses
from monoboard.webhooks.models import Attempt, Delivery
from monoboard.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

EXCERPT_CHARS = 500


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the receiver's answer, not a place to go: following it
    would reach addresses that were never checked."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the job is retried with backoff."""


def attempt(delivery_id: int) -> Attempt | None:
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state == Delivery.State.SUCCEEDED:
        return None  # deleted, or already delivered by an earlier run of this job
    Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.refresh_from_db(fields=["attempts"])
    body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked when the endpoint is saved
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "monoboard-webhooks/1",
            "X-Monoboard-Event": delivery.event,
            "X-Monoboard-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body),
        },
    )
    status: int | None = None
    excerpt = error = ""
    started = time.monotonic()
    refused = _refusal(delivery.endpoint.url)
    if refused:
        # Not retried: the address will not become allowed by waiting.
        log = Attempt.objects.create(
            delivery=delivery, number=delivery.attempts, error=refused[:300], duration_ms=0
        )
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.FAILED)
        return log
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOKS_TIMEOUT_S) as response:
            status = response.status
            excerpt = response.read(EXCERPT_CHARS).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status = exc.code
        excerpt = exc.read(EXCERPT_CHARS).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    log = Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=status,
        response_excerpt=excerpt,
        error=error,
        duration_ms=duration_ms,
    )
    if log.ok:
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.SUCCEEDED, delivered_at=timezone.now()
        )
        return log
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.FAILED)
    raise DeliveryFailed(f"{delivery.endpoint.url} answered {status or error}")


def _refusal(url: str) -> str:
    """Why ``url`` may not be delivered to now ("" if it may): its host is
    resolved and every address it gives is checked before connecting."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses.resolve_checked(parts.hostname or "", port)
    except addresses.AddressRefused as exc:
        return f"Refused: {exc}."
    except (OSError, ValueError):
        return ""  # not resolvable now: the attempt fails and is retried as usual
    return ""
