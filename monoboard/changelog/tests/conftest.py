"""Changelog test fixtures: jobs run on demand (from the notification tests), API clients."""

from __future__ import annotations

import pytest

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient, key_for
from monoboard.notifications.tests.conftest import _fast_password_hashing, jobs

__all__ = ["_fast_password_hashing", "jobs"]


@pytest.fixture
def admin_api(admin: User) -> ApiClient:
    return ApiClient(key_for(admin))


@pytest.fixture
def member_api(member: User) -> ApiClient:
    return ApiClient(key_for(member))


@pytest.fixture
def anon_api(db: None, admin: User) -> ApiClient:
    return ApiClient()
