"""Accounts tests: an empty cache (no throttle counts leak between tests) and
plain static storage (a checkout has no collectstatic manifest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def real_hashers() -> None:
    """Ask for this to hash with the production PASSWORD_HASHERS."""


@pytest.fixture(autouse=True)
def _quick_hashers(request: pytest.FixtureRequest, settings: Any) -> None:
    if "real_hashers" in request.fixturenames:
        return
    settings.PASSWORD_HASHERS = [
        "monoboard.accounts.tests.hashers.QuickArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
