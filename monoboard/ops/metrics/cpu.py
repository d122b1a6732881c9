"""The CPU time this process used, stored per minute as the product's own share of a box.

The machine's CPU figure counts every program on it; the advisor needs the
product's. Each process measures itself (``os.times()``: user + system, its
own threads, no children) and writes one :class:`~monoboard.ops.models.ProcessCpu`
row with the seconds used since its previous row: web processes when a minute
with requests is over (with their rollups), the jobs worker, or an instance's
supervisor without one, with its minute's system sample. Readers sum the rows
per host and minute and divide by ``60 * cores``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from monoboard.lib import bookkeeping
from monoboard.ops.metrics.rollup import process_name
from monoboard.ops.models import ProcessCpu

logger = logging.getLogger(__name__)


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def cores() -> int:
    """The cores this process may run on (the box's share it can use)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class CpuMeter:
    """CPU seconds used between one call of :meth:`used` and the next."""

    def __init__(self, clock: Callable[[], float] = own_cpu_seconds) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()

    def used(self) -> float:
        with self._lock:
            now = self._clock()
            spent, self._last = max(0.0, now - self._last), now
        return spent


meter = CpuMeter()


def record(minute: datetime) -> None:
    """Store the CPU this process used since its last row, under ``minute``."""
    row = ProcessCpu(
        minute=minute,
        host=socket.gethostname()[:80],
        process=process_name(),
        cpu_seconds=round(meter.used(), 3),
        cores=cores(),
    )
    if not bookkeeping.write_quietly("process CPU", row.save):
        logger.warning("could not store this process's CPU seconds")
