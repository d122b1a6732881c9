"""Helpers for search tests: posts written through services, with the event
log's consumers (the index update) run after them as the jobs worker would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status
from monoboard.core.consumers import drain


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    """Pages link static files; without a collectstatic run the manifest
    storage cannot name them, so tests use the unhashed storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The personas' passwords are not what these tests are about; hash them cheaply.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Committed:
    """``with committed(): services...`` then runs the event log's consumers."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield
        drain()

    return run


MakePost = Callable[..., Post]


def ensure_statuses() -> None:
    """The statuses these tests use. The data migration creates them, but a
    transactional test elsewhere may have flushed the tables since."""
    Status.objects.get_or_create(
        slug="open", defaults={"name": "Open", "is_default": True, "position": 0}
    )
    Status.objects.get_or_create(
        slug="planned", defaults={"name": "Planned", "on_roadmap": True, "position": 1}
    )


@pytest.fixture
def make_post(committed: Committed, member: User, public_board: Board) -> MakePost:
    ensure_statuses()

    def make(
        title: str, body: str = "", *, board: Board | None = None, author: User | None = None
    ) -> Post:
        with committed():
            return services.post_create(
                board=board or public_board, author=author or member, title=title, body=body
            )

    return make
