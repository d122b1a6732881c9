"""Single sign-on test helpers: signing tokens as a customer's server would."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from django.test import Client

from conftest import PASSWORD
from monoboard.accounts.models import User
from monoboard.sso import selectors


@pytest.fixture(autouse=True)
def _fresh_redirect_settings() -> Iterator[None]:
    """Each process keeps the redirect settings a few seconds: not across tests."""
    selectors.forget_redirect_config()
    yield
    selectors.forget_redirect_config()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "id": "cust-1",
        "email": "pat@customer.example",
        "name": "Pat Customer",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(secret: str, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def admin_client(admin: User) -> Client:
    client = Client()
    assert client.login(email=admin.email, password=PASSWORD)
    return client


def make_secret(admin: User) -> str:
    """An admin makes the HS256 secret on the settings page and copies it."""
    page = admin_client(admin).post("/sso/settings/", {"action": "secret"})
    assert page.status_code == 200
    text = page.content.decode()
    start = text.index("mbsso_")
    return text[start : text.index("<", start)]


def save_settings(admin: User, **fields: str) -> Any:
    data = {
        "jwks_url": "",
        "issuer": "",
        "audience": "",
        "login_url": "",
        "redirect_mode": "off",
        "widget_origins": "",
        **fields,
    }
    return admin_client(admin).post("/sso/settings/", data)


@pytest.fixture
def secret(admin: User) -> str:
    return make_secret(admin)


class JWKSServer:
    """Serves a JWKS document on loopback, as the customer's app would."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.stop()
