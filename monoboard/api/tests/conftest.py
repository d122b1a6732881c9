"""API test helpers: a client per persona that sends an API key, and seeded posts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from monoboard.accounts import credentials
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status


class ApiClient:
    """django.test.Client speaking JSON with ``Authorization: Bearer``."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **(headers or {})}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body if body is not None else {}, **kw)


def key_for(user: User) -> str:
    return credentials.api_key_create(actor=user, name="tests").secret


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon_api(db: None, admin: User) -> ApiClient:
    return ApiClient()


@pytest.fixture
def member_api(member: User) -> ApiClient:
    return ApiClient(key_for(member))


@pytest.fixture
def other_api(other_member: User) -> ApiClient:
    return ApiClient(key_for(other_member))


@pytest.fixture
def moderator_api(moderator: User) -> ApiClient:
    return ApiClient(key_for(moderator))


@pytest.fixture
def admin_api(admin: User) -> ApiClient:
    return ApiClient(key_for(admin))


@pytest.fixture
def public_post(public_board: Board, other_member: User) -> Post:
    return services.post_create(board=public_board, author=other_member, title="Dark mode please")


@pytest.fixture
def private_post(private_board: Board, other_member: User) -> Post:
    return services.post_create(board=private_board, author=other_member, title="Internal idea")


@pytest.fixture
def planned() -> Status:
    return Status.objects.get_or_create(slug="planned", defaults={"name": "Planned"})[0]
