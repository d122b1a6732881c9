"""Stage 2: PostgreSQL LISTEN/NOTIFY wakes the events processes at once.

``core.events.emit()`` sends ``pg_notify(channel)`` right after the
writer's transaction commits. Each events
process keeps one *direct* connection (LISTEN does not work through
PgBouncer's transaction pooling; ``DATABASE_DIRECT_URL`` bypasses it),
reconnects with capped exponential backoff, and still catches up from the
log on every wake-up and at least every heartbeat, so a lost notification
only delays an event, never drops it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any

from django.conf import settings

from monoboard.core.events import EVENTS_CHANNEL
from monoboard.lib.database import listen_params
from monoboard.realtime.bus.base import Backend

if TYPE_CHECKING:
    from monoboard.realtime.bus.hub import Hub

logger = logging.getLogger(__name__)
CHANNEL = EVENTS_CHANNEL


class PgNotifyBackend(Backend):
    name = "pg-notify"

    def __init__(self, heartbeat: float | None = None, max_backoff: float = 30.0) -> None:
        self.heartbeat = heartbeat or settings.REALTIME_HEARTBEAT
        self.max_backoff = max_backoff

    async def run(self, hub: Hub) -> None:
        import psycopg

        failures = 0
        while True:
            try:
                params = await asyncio.to_thread(listen_params)
                async with await psycopg.AsyncConnection.connect(**params) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    failures = 0
                    await hub.catch_up()  # rows added while we were not listening
                    await self._listen(conn, hub)
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                delay = min(self.max_backoff, 0.5 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
                logger.warning("LISTEN connection lost; retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)

    async def _listen(self, conn: Any, hub: Hub) -> None:
        while True:
            # Returns after the heartbeat even when nothing arrived: the
            # catch-up doubles as a check that the connection is alive.
            async for _ in conn.notifies(timeout=self.heartbeat, stop_after=1):
                pass
            await conn.execute("SELECT 1")
            await hub.catch_up()
