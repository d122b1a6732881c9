"""Which network addresses a webhook may be sent to (no SSRF).

A webhook URL is typed by an admin, but the request leaves from the server,
inside its network: pointed at a cloud metadata service, a database port on
loopback or a private host, it would turn the site into a proxy. So every
address is checked when an endpoint is saved and again, after resolving the
host, right before a delivery connects (a name can change what it points at).

Always refused: link-local (169.254.0.0/16, cloud metadata; fe80::/10),
multicast, reserved and unspecified addresses. Loopback and private ranges
are refused unless ``WEBHOOKS_ALLOW_PRIVATE`` is on (on-premise receivers).
IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class AddressRefused(Exception):
    """The host is, or resolves to, an address webhooks may not reach."""


def refusal(address: Address) -> str | None:
    """Why ``address`` may not receive webhooks, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback or address.is_private:
        if settings.WEBHOOKS_ALLOW_PRIVATE:
            return None
        kind = "a loopback" if address.is_loopback else "a private"
        return f"{kind} address (set WEBHOOKS_ALLOW_PRIVATE for on-premise receivers)"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def literal(host: str) -> Address | None:
    """``host`` as an IP address if it is written as one (``2130706433`` too)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        # The forms inet_aton accepts and resolvers honour: 127.1, 0x7f.1, 2130706433.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_host(host: str) -> None:
    """Refuse a host that is written as, or named as, a refused address.

    Used when an endpoint is saved; other names are resolved and checked
    when a delivery connects (see :func:`resolve_checked`).
    """
    host = host.lower().rstrip(".")
    address = literal(host)
    if address is None and (host in _LOCAL_NAMES or host.endswith(".localhost")):
        address = ipaddress.IPv4Address("127.0.0.1")
    if address is not None:
        reason = refusal(address)
        if reason:
            raise AddressRefused(f"{host} is {reason}")


def resolve_checked(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to, after checking each one."""
    address = literal(host)
    if address is not None:
        reason = refusal(address)
        if reason:
            raise AddressRefused(f"{host} is {reason}")
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise AddressRefused(f"{host} resolves to {address}, {reason}")
    return addresses
