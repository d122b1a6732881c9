"""Reads for the webhook admin pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import Http404

from monoboard.webhooks.models import Attempt, Delivery, Endpoint


def endpoints() -> list[Endpoint]:
    return list(Endpoint.objects.annotate(delivery_count=Count("deliveries")).order_by("-id"))


def endpoint_or_404(endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such endpoint")
    return endpoint


def recent_deliveries(endpoint: Endpoint, *, limit: int = 50) -> list[Delivery]:
    """Newest first, each with its attempts (newest first) in one extra query."""
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .order_by("-id")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("-id")))[:limit]
    )


def delivery_or_404(endpoint: Endpoint, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(pk=delivery_id, endpoint=endpoint).first()
    if delivery is None:
        raise Http404("No such delivery")
    return delivery
