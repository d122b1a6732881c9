"""The bus interface: how new log rows reach every events process.

The log table is the source of truth. A backend only decides how an events
process learns that rows were added: by polling (``db-poll``) or by being
told (``pg-notify``). Either way it reads the rows themselves from the log
and hands them to the process's :class:`~monoboard.realtime.bus.hub.Hub`,
so callers never depend on which backend runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monoboard.realtime.bus.hub import Hub


class Backend(ABC):
    name: str

    @abstractmethod
    async def run(self, hub: Hub) -> None:
        """Feed new rows to ``hub`` until cancelled."""
