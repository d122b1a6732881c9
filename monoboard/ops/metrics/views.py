"""/metrics in the Prometheus text format: this instance, then every instance side by side."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from prometheus_client.django import PrometheusDjangoView

from monoboard.lib.client_ip import client_ip
from monoboard.ops.metrics import instruments
from monoboard.ops.metrics.instances import exposition
from monoboard.replicas import health


def _is_local(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def metrics(request: HttpRequest) -> HttpResponseBase:
    """Scrapers on the box or the private network only, unless METRICS_ACCESS=all."""
    mode = settings.METRICS_ACCESS
    if mode == "off" or (mode == "local" and not _is_local(client_ip(request))):
        raise Http404
    for status in health.statuses():  # cheap: measured at most once a second
        instruments.REPLICA_UP.labels(status.alias).set(1 if status.up else 0)
        if status.up:
            instruments.REPLICA_LAG.labels(status.alias).set(status.lag_ms / 1000)
    response = PrometheusDjangoView.as_view()(request)
    if response.status_code == 200 and hasattr(response, "content"):
        response.content = bytes(response.content) + exposition()
    return response
