"""The address of the person (or program) behind a request.

Behind a proxy every connection comes from the proxy, so REMOTE_ADDR is the
same for everyone. ``X-Forwarded-For`` carries the real client, but anyone
can send that header: it is believed only when the connection comes from an
address in ``TRUSTED_PROXIES``, and only as far as the chain of trusted
proxies goes. Every throttle, rate limit, log line and access rule asks here.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For read right to left past trusted proxies."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a garbled header: the proxy is the best we know
    return remote
