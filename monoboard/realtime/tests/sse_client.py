"""Read Server-Sent Events in tests: from an in-process async response, or
over a real socket from a server subprocess. Every wait is bounded."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from monoboard.lib.ports import free_port, wait_for_port

WAIT = 10.0  # seconds; a bound on waits, never a measured expectation


@dataclass
class Message:
    kind: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)
    retry: int | None = None

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value


class Parser:
    """Incremental text/event-stream parser (the WHATWG rules tests need)."""

    def __init__(self) -> None:
        self.buffer = ""
        self.current = Message()
        self.data_lines: list[str] = []

    def feed(self, text: str) -> list[Message]:
        self.buffer += text
        done: list[Message] = []
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            if line == "":
                self.current.data = "\n".join(self.data_lines)
                done.append(self.current)
                self.current, self.data_lines = Message(), []
            elif line.startswith(":"):
                self.current.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    self.current.kind = value
                elif name == "id":
                    self.current.id = value
                elif name == "data":
                    self.data_lines.append(value)
                elif name == "retry":
                    self.current.retry = int(value)
        return done


async def read_async(chunks: AsyncIterator[bytes | str], *, until: str) -> list[Message]:
    """Messages from an async streaming response up to the first of kind ``until``."""
    parser, seen = Parser(), list[Message]()
    async with asyncio.timeout(WAIT):
        while not any(m.kind == until for m in seen):
            chunk = await anext(chunks)
            seen += parser.feed(chunk.decode() if isinstance(chunk, bytes) else chunk)
    return seen


class Stream:
    """A blocking SSE connection to a real server."""

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = self.conn.getresponse()
        self.parser = Parser()
        self.pending: list[Message] = []

    @property
    def status(self) -> int:
        return self.response.status

    def subscribed(self) -> None:
        """Wait for the server's "ready" event: every event from now on arrives."""
        self.next_event("ready")

    def next_event(self, kind: str) -> Message:
        """The next message of ``kind``; raises if none arrives within WAIT."""
        deadline = time.monotonic() + WAIT
        while True:
            for i, message in enumerate(self.pending):
                if message.kind == kind:
                    del self.pending[: i + 1]
                    return message
            self.pending.clear()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {kind} event within {WAIT}s")
            line = self.response.readline()  # bounded by the socket timeout
            if not line:
                raise ConnectionError("stream closed")
            self.pending += self.parser.feed(line.decode())

    def close(self) -> None:
        self.conn.close()


def child_database_url() -> str:
    """DATABASE_URL naming the database this test process is using."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = str(db.get("HOST") or "")
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"


@contextmanager
def events_server(data_dir: Path, **extra_env: str) -> Iterator[int]:
    """granian serving monoboard.asgi on a free loopback port, over the test DB."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MONOBOARD_DATA_DIR": str(data_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        "REALTIME_POLL_INTERVAL": "0.05",
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        **extra_env,
    }
    argv = [
        sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning",
        "monoboard.asgi:application",
    ]  # fmt: skip
    child = subprocess.Popen(argv, env=env, cwd=settings.BASE_DIR, start_new_session=True)
    try:
        wait_for_port("127.0.0.1", port, timeout=WAIT * 2)
        yield port
    finally:
        child.terminate()
        try:
            child.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=WAIT)
