"""Stage 1: each events process polls the log's primary key a few times a second.

One indexed query (``id > last_seen``) per process per interval, however many
browsers are connected; SQLite in WAL mode serves it without blocking writers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from django.conf import settings

from monoboard.realtime.bus.base import Backend

if TYPE_CHECKING:
    from monoboard.realtime.bus.hub import Hub

logger = logging.getLogger(__name__)


class DbPollBackend(Backend):
    name = "db-poll"

    def __init__(self, interval: float | None = None) -> None:
        self.interval = interval or settings.REALTIME_POLL_INTERVAL

    async def run(self, hub: Hub) -> None:
        while True:
            try:
                await hub.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked or restarting database: try again next tick
                logger.exception("event poll failed")
            await asyncio.sleep(self.interval)
