"""A real SMTP server on a loopback port for the delivery tests (aiosmtpd)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monoboard.lib.ports import free_port

USERNAME = "mailer"
PASSWORD = "s3cret-pass"


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    #: Messages to take in but never answer (a sender that dies mid-send).
    stall: int = 0
    #: Take in the n-th message (counting from 1) but never answer it.
    stall_at: int = 0
    #: Recipients the server refuses.
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        if self.stall > 0 or len(self.messages) == self.stall_at:
            self.stall = max(self.stall - 1, 0)
            await asyncio.sleep(120)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


def _authenticator(inbox: Inbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        ):
            inbox.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


@contextmanager
def smtp_server(
    *, auth: bool = False, tls_context: ssl.SSLContext | None = None
) -> Iterator[SmtpServer]:
    """Start a server on 127.0.0.1, yield it, and always stop it."""
    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    if auth:
        kwargs.update(
            authenticator=_authenticator(inbox), auth_required=True, auth_require_tls=False
        )
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


def self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1 made with the openssl tool, or None without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def smtp_mailer(server: SmtpServer, **options: Any) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": server.host, "port": server.port, "timeout": 5} | options,
        }
    }
