"""Where browsers open the real-time stream, for pages and for the security headers."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port


def events_url(request: HttpRequest) -> str:
    """REALTIME_EVENTS_URL, or the events process on this host (stage 1)."""
    if settings.REALTIME_EVENTS_URL:
        return str(settings.REALTIME_EVENTS_URL)
    port = settings.EVENTS_PORT or int(request.get_port()) + 1
    host, _ = split_domain_port(request.get_host())
    return f"{request.scheme}://{host}:{port}/events/"
