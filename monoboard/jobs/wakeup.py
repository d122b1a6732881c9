"""Waking idle task threads as soon as a task may be ready.

Idle task threads wait on a :class:`Wakeup` for at most the poll interval.
On PostgreSQL a listener thread holds one LISTEN connection (direct, past
PgBouncer: see ``lib.database.listen_params``) on the channel that the
trigger of migration 0002 notifies when a task becomes ready, and wakes
them at once. Polling stays the safety net: a notification lost while the
listener reconnects, a deferred task or a retry coming due, SQLite.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from monoboard.core.events import EVENTS_CHANNEL  # notified after each event commits
from monoboard.lib.database import listen_params

logger = logging.getLogger("monoboard.jobs")

CHANNEL = "monoboard_jobs"
APPLICATION_NAME = "monoboard-jobs-listener"


class Wakeup:
    """A generation counter that idle threads wait on.

    A thread reads :meth:`generation` *before* it looks for work and passes
    it to :meth:`wait`, so a wake-up that lands between "found nothing" and
    "started waiting" is not lost.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def generation(self) -> int:
        with self._cond:
            return self._generation

    def wake(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, since: int, timeout: float) -> bool:
        """Wait until woken after ``since`` or ``timeout``; True when woken."""
        with self._cond:
            return self._cond.wait_for(lambda: self._generation != since, timeout)


def listen(
    *,
    alias: str,
    stopping: threading.Event,
    on_notify: Callable[[str], None],
    on_event: Callable[[], None] | None = None,
    check_every_s: float = 5.0,
    max_backoff_s: float = 30.0,
) -> None:
    """LISTEN until ``stopping`` is set, calling ``on_notify(queue_name)``.

    With ``on_event``, also listens for committed events in the event log and
    calls it for each notification (and after every reconnect).

    Reconnects with capped exponential backoff. After every (re)connect it
    calls ``on_notify("*")``: tasks queued while nobody listened are looked
    for at once. When nothing arrives for ``check_every_s`` it runs
    ``SELECT 1``, so a dead connection is noticed even when idle.
    """
    import psycopg

    failures = 0
    while not stopping.is_set():
        try:
            params = listen_params(alias) | {"application_name": APPLICATION_NAME}
            with psycopg.connect(**params) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                if on_event is not None:
                    conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                    on_event()
                failures = 0
                logger.info("listening on %s for new tasks", CHANNEL)
                on_notify("*")
                while not stopping.is_set():
                    heard = False
                    for note in conn.notifies(timeout=check_every_s):
                        heard = True
                        if note.channel == EVENTS_CHANNEL:
                            if on_event is not None:
                                on_event()
                        else:
                            on_notify(note.payload)
                        if stopping.is_set():
                            break
                    if not heard:
                        conn.execute("SELECT 1")
        except Exception:
            failures += 1
            delay = min(max_backoff_s, 0.5 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
            logger.warning("LISTEN connection lost; retrying in %.1fs", delay, exc_info=True)
            stopping.wait(delay)
