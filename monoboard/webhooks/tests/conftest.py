"""A receiving HTTP server on a loopback port, and queued jobs run on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend

from monoboard.core import consumers
from monoboard.lib.ports import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    #: Status codes to answer with, in order; 200 once they run out.
    replies: list[int] = field(default_factory=list)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    # The receiver listens on loopback, which webhooks may reach only when
    # private addresses are allowed (WEBHOOKS_ALLOW_PRIVATE, an on-premise site).
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(Received(dict(self.headers.items()), self.rfile.read(length)))
            code = state.replies.pop(0) if state.replies else 200
            body = b"boom" if code >= 500 else b"thanks"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


Capture = Callable[..., Any]


class Jobs:
    """Jobs queued (on commit) by the code under test; run() runs them now."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def backend(self) -> DummyBackend:
        backend = task_backends["default"]
        assert isinstance(backend, DummyBackend)
        return backend

    def take(self) -> list[Any]:
        """Jobs queued so far (after the event log's consumers ran), removed from the queue."""
        with self.capture(execute=True):
            consumers.drain()
        results = list(self.backend().results)
        self.backend().clear()
        return results

    def run(self) -> int:
        """Run the event log's consumers, then every queued job once; return how many."""
        results = self.take()
        for result in results:
            result.task.call(*result.args, **result.kwargs)
        return len(results)


@pytest.fixture
def jobs(db: None, settings: Any, django_capture_on_commit_callbacks: Capture) -> Iterator[Jobs]:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    runner = Jobs(django_capture_on_commit_callbacks)
    runner.backend().clear()
    yield runner
    runner.backend().clear()
