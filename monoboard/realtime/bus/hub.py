"""In-process fan-out: one reader of the log per events process, many streams.

Each open stream subscribes with an ``asyncio.Queue``. The backend's task
calls :meth:`Hub.catch_up`, which reads new rows once (with the posts they
are about, so visibility can be decided without more queries) and puts each
on the queue of every stream watching its board or post. The reader task
runs only while at least one stream is open.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async

from monoboard.boards.models import Post
from monoboard.core.models import Event
from monoboard.realtime import selectors
from monoboard.realtime.bus.base import Backend

logger = logging.getLogger(__name__)
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class LiveEvent:
    """A log row plus the post it is about (None if the post is gone)."""

    row: Event
    post: Post | None


@dataclass(eq=False)
class Subscription:
    board_id: int | None = None
    post_id: int | None = None
    queue: asyncio.Queue[LiveEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    overflowed: bool = False

    def wants(self, row: Event) -> bool:
        if self.post_id is not None:
            return row.post_id == self.post_id
        return row.board_id == self.board_id


class Hub:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.subscriptions: set[Subscription] = set()
        self.last_seen: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()

    def subscribe(self, *, board_id: int | None = None, post_id: int | None = None) -> Subscription:
        sub = Subscription(board_id=board_id, post_id=post_id)
        self.subscriptions.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)
        if not self.subscriptions and self._task is not None:
            self._task.cancel()
            self._task = None

    async def ensure_started(self) -> int:
        """Fix the point from which this hub delivers rows; returns it.

        A stream that replays from the log awaits this first, so that replay
        (rows up to now) and live delivery (rows after this point) overlap
        instead of leaving a gap.
        """
        async with self._start_lock:
            if self.last_seen is None:
                self.last_seen = await sync_to_async(selectors.latest_event_id)()
            return self.last_seen

    async def _run(self) -> None:
        await self.ensure_started()
        await self.backend.run(self)

    async def catch_up(self) -> None:
        """Read rows added since the last call and hand them to subscribers."""
        await self.ensure_started()
        assert self.last_seen is not None
        batch = await sync_to_async(selectors.live_events_after)(self.last_seen)
        for row, post in batch:
            self.last_seen = row.id
            self.dispatch(LiveEvent(row=row, post=post))

    def dispatch(self, event: LiveEvent) -> None:
        for sub in list(self.subscriptions):
            if not sub.wants(event.row):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A stream that stopped reading: it will be closed and the
                # browser reconnects with Last-Event-ID, replaying from the log.
                sub.overflowed = True


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (one per events process)."""
    from monoboard.realtime.bus import get_backend

    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for stale in [other for other in _hubs if other.is_closed()]:
            del _hubs[stale]
        hub = _hubs[loop] = Hub(get_backend())
    return hub
