"""What the router knows about the request in hand (a context variable).

The middleware opens a :class:`ReadContext` for each request. Outside one
(commands, the jobs worker, migrations, tests calling selectors directly)
there is no context and every read goes to the primary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class ReadContext:
    """Per-request routing state.

    ``position`` is the client's last commit position on the primary (an
    LSN as int), looked up lazily by ``load_position`` on the first read that
    could go to a replica; ``None`` means the client has written nothing we
    know of.
    """

    load_position: Callable[[], int | None] = field(default=lambda: None)
    #: Set by API authentication: "key:<id>" or "user:<id>".
    client_key: str | None = None
    #: Set once this request's transaction with domain events committed.
    wrote: bool = False
    #: Replicas may serve this request (off after a replica failed mid-request).
    use_replicas: bool = True
    #: The replica that served a read in this request, if any.
    replica_used: str | None = None
    _position: int | None = None
    _loaded: bool = False

    def position(self) -> int | None:
        if not self._loaded:
            self._position = self.load_position()
            self._loaded = True
        return self._position

    def forget_position(self) -> None:
        self._loaded = False


_current: ContextVar[ReadContext | None] = ContextVar("monoboard_read_context", default=None)


def current() -> ReadContext | None:
    return _current.get()


@contextlib.contextmanager
def reading(ctx: ReadContext) -> Iterator[ReadContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def primary_only() -> Iterator[None]:
    """Every read in the block goes to the primary (e.g. a check before a write)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def note_write() -> None:
    """Called after a write commits (from the event log's on_commit)."""
    ctx = _current.get()
    if ctx is not None:
        ctx.wrote = True


def identify(client_key: str) -> None:
    """An API credential named the caller: its commit position is kept under this key."""
    ctx = _current.get()
    if ctx is not None and ctx.client_key != client_key:
        ctx.client_key = client_key
        ctx.forget_position()
