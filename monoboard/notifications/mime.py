"""The bytes of an outbox email, built without the ``email`` package's per-message work.

Django builds every message through Python's ``email`` package, which parses
and folds each header and each body part again for every email: about 4 ms
of CPU per notification, most of a fan-out's cost. Every outbox email has the
same simple shape (a plain-text body, perhaps an HTML alternative, a few
ASCII headers), so :func:`prepared` writes its bytes directly: headers that
need encoding (a subject with curly quotes, a sender's display name) go
through the ``email`` package once per distinct value and are cached, and
the bodies are written as 7bit or 8bit UTF-8 exactly as Django's SMTP policy
writes them.

Anything outside that shape (a line longer than SMTP allows, a non-ASCII or
unusual recipient address, a header value with a line break) makes
:func:`prepared` return None, and the caller sends the email the usual way.

The result is an ``EmailMultiAlternatives`` whose ``message()`` hands back
the prepared bytes, so every mail backend (SMTP, file, console, locmem)
sends it unchanged, and tests read its ``to``, ``body`` and ``alternatives``
as before.
"""

from __future__ import annotations

import email.policy
import re
import secrets
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.policy import Policy
from email.utils import formatdate
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

#: SMTP's line limit without its CRLF (RFC 5321 4.5.3.1.6).
MAX_LINE = 998
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_ASCII_VALUE = re.compile(r"[\x20-\x7e]*")
_HEADERS = HeaderRegistry()


@lru_cache(maxsize=512)
def _encoded_header(name: str, value: str) -> bytes:
    """``Name: value`` as the ``email`` package folds and encodes it for SMTP, CRLF-ended."""
    header = _HEADERS(name, value)
    if header.defects and name.lower() in ("from", "to"):
        raise ValueError(f"bad {name} header: {value!r}")
    return header.fold(policy=email.policy.SMTP).encode("ascii")


def _header(name: str, value: str) -> bytes:
    if "\n" in value or "\r" in value:
        raise ValueError(f"line break in the {name} header")
    line = f"{name}: {value}"
    limit = 78 if name.lower() in ("subject", "from", "to") else MAX_LINE
    if len(line) <= limit and _ASCII_VALUE.fullmatch(value):
        return f"{line}\r\n".encode("ascii")
    return _encoded_header(name, value)


def _part(content: str, subtype: str) -> bytes | None:
    """One text part (its headers and body, CRLF lines), or None past SMTP's line limit."""
    lines = content.encode("utf-8").splitlines()  # as the email package splits them
    if any(len(line) > MAX_LINE for line in lines):
        return None
    data = b"\r\n".join(lines)
    cte = "7bit" if data.isascii() else "8bit"
    return (
        (
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n\r\n"
        ).encode("ascii")
        + data
        + b"\r\n"
    )


def _bytes(
    *, subject: str, body: str, html_body: str, recipient: str, headers: dict[str, str]
) -> bytes | None:
    if not _PLAIN_ADDRESS.fullmatch(recipient):
        return None
    head = [
        b"MIME-Version: 1.0\r\n",
        _header("Subject", subject),
        _header("From", settings.DEFAULT_FROM_EMAIL),
        _header("To", recipient),
        _header("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
    ]
    for name, value in headers.items():
        if name.lower() in ("subject", "from", "to", "date", "mime-version", "content-type"):
            return None
        head.append(_header(name, value))
    text = _part(body, "plain")
    if text is None:
        return None
    if not html_body:
        return b"".join(head) + text
    html = _part(html_body, "html")
    if html is None:
        return None
    boundary = f"=_mb{secrets.token_hex(12)}".encode("ascii")
    head.append(b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n')
    return (
        b"".join(head)
        + b"\r\n--"
        + boundary
        + b"\r\n"
        + text
        + b"\r\n--"
        + boundary
        + b"\r\n"
        + html
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )


class _Prepared:
    """What a mail backend takes from ``message()``: the bytes, in its line endings."""

    def __init__(self, data: bytes, policy: Policy) -> None:
        self._data = data
        self.policy = policy

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        linesep = (policy or self.policy).linesep
        return self._data if linesep == "\r\n" else self._data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, policy: Policy | None = None) -> str:
        return self.as_bytes(policy=policy).decode("utf-8")

    def get_charset(self) -> None:
        return None

    def __bytes__(self) -> bytes:
        return self.as_bytes()


class PreparedEmail(EmailMultiAlternatives):
    """An email whose bytes were written by :func:`prepared`; any backend sends them."""

    data: bytes = b""

    def message(self, *, policy: Policy[Message[str, str]] | None = None) -> Any:
        return _Prepared(self.data, policy or email.policy.default)


def prepared(
    *, subject: str, body: str, html_body: str, recipient: str, headers: dict[str, str]
) -> PreparedEmail | None:
    """The email ready to hand to a mail backend, or None to build it the usual way."""
    if "\n" in subject or "\r" in subject:
        return None
    try:
        data = _bytes(
            subject=subject, body=body, html_body=html_body, recipient=recipient, headers=headers
        )
    except ValueError:
        return None
    if data is None:
        return None
    email_message = PreparedEmail(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers=dict(headers),
    )
    if html_body:
        email_message.attach_alternative(html_body, "text/html")
    email_message.data = data
    return email_message
