"""Fixtures for notification tests: queued jobs run on demand, a post with people on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post
from monoboard.core import consumers
from monoboard.notifications import delivery

Capture = Callable[..., Any]


class Jobs:
    """Jobs queued by the code under test; nothing runs until run() is called.

    Each job runs as if after a commit, so the jobs it queues on commit are
    queued too (the test itself runs inside one rolled-back transaction).
    """

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def backend(self) -> DummyBackend:
        backend = task_backends["default"]
        assert isinstance(backend, DummyBackend)
        return backend

    def results(self) -> list[Any]:
        """Queued jobs, once the event log's consumers (the worker's) have run."""
        with self.capture(execute=True):
            consumers.drain()
        return list(self.backend().results)

    def queued(self) -> list[str]:
        return [r.task.name for r in self.results()]

    def run_once(self) -> list[str]:
        """Run the jobs queued now, once each; what they queue stays queued."""
        results = self.results()
        self.backend().clear()
        for result in results:
            with self.capture(execute=True):
                result.task.call(*result.args, **result.kwargs)
        return [result.task.name for result in results]

    def run(self) -> list[str]:
        """Run queued jobs (and the jobs they queue) until none are left."""
        ran: list[str] = []
        for _ in range(20):
            with self.capture(execute=True):
                consumers.drain()  # the worker's consumers queue the fan-out jobs
            results = list(self.backend().results)
            if not results:
                return ran
            self.backend().clear()
            for result in results:
                with self.capture(execute=True):
                    result.task.call(*result.args, **result.kwargs)
                ran.append(result.task.name)
        raise AssertionError("jobs kept queueing jobs")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """These tests create many people; real password hashing is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def jobs(db: None, settings: Any, django_capture_on_commit_callbacks: Capture) -> Iterator[Jobs]:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SITE_URL = "https://feedback.example.com"
    runner = Jobs(django_capture_on_commit_callbacks)
    runner.backend().clear()
    yield runner
    runner.backend().clear()


@pytest.fixture
def post(member: User, public_board: Board) -> Post:
    return boards.post_create(board=public_board, author=member, title="Dark mode", body="Please")


def drain() -> delivery.DrainResult:
    return delivery.drain_outbox()


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]
