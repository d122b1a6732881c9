"""The worker process: task threads, a heartbeat, recovery and schedules.

Task threads each run one task at a time. A thread with nothing in hand
claims up to ``claim_batch`` tasks in one statement, runs the first and
leaves the rest to this process's threads; claimed tasks no thread started
within a poll interval go back to the queue, so a long task never holds
others up. Idle threads sleep until the poll interval or a wake-up (NOTIFY on
PostgreSQL, see wakeup.py). The main thread beats the heartbeat (so a long
task never looks dead), puts back tasks of dead workers, enqueues due
recurring tasks and handles SIGTERM/SIGINT: stop claiming, wait up to the
grace period for tasks in hand, release those still running and those not
started back to the queue, then exit.

One more thread runs the event log's consumers (``monoboard.core.consumers``:
search index, notification fan-out, webhook deliveries): woken by NOTIFY on
PostgreSQL when an event commits, and every ``EVENTS_POLL_INTERVAL_S``
otherwise. Several workers may run it at once: each consumer's position row
is locked while one of them moves it.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import FrameType

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, connection, connections, router
from django.tasks import TaskContext
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

from monoboard.core import consumers
from monoboard.core.events import latest_event_id
from monoboard.jobs import queue, wakeup
from monoboard.jobs.models import WorkerHeartbeat
from monoboard.jobs.schedules import run_due_schedules

logger = logging.getLogger("monoboard.jobs")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class WorkerConfig:
    queues: list[str]
    concurrency: int = 1
    poll_interval_s: float = 1.0
    heartbeat_s: float = 5.0
    lease_s: float = 60.0
    grace_s: float = 10.0
    backend_name: str = "default"
    batch: bool = False  # exit once the queue is empty
    run_schedules: bool = True
    claim_batch: int = 1  # tasks claimed per statement
    listen: bool = True  # PostgreSQL: wake idle threads on NOTIFY
    consume_events: bool = True  # run the event log's consumers
    events_poll_s: float = 0.2
    events_gather_s: float = 0.05

    @classmethod
    def from_settings(cls, **overrides: object) -> WorkerConfig:
        values: dict[str, object] = {
            "queues": ["*"],
            "concurrency": settings.JOBS_CONCURRENCY,
            "poll_interval_s": settings.JOBS_POLL_INTERVAL_S,
            "heartbeat_s": settings.JOBS_HEARTBEAT_S,
            "lease_s": settings.JOBS_LEASE_S,
            "grace_s": settings.JOBS_SHUTDOWN_GRACE_S,
            "claim_batch": settings.JOBS_CLAIM_BATCH,
            "events_poll_s": settings.EVENTS_POLL_INTERVAL_S,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


class Worker:
    def __init__(self, config: WorkerConfig, worker_id: str | None = None) -> None:
        self.config = config
        self.worker_id = worker_id or new_worker_id()
        self.stopping = threading.Event()
        self.wakeup = wakeup.Wakeup()
        self.events_wakeup = wakeup.Wakeup()
        # Consumer passes take a task thread's turn: the worker keeps at most
        # JOBS_CONCURRENCY database sessions busy, as it did before it had
        # consumers, so it never takes more of a shared box than asked.
        self._turns = threading.BoundedSemaphore(max(1, config.concurrency))
        self._in_hand: dict[int, queue.Row] = {}  # thread -> the task it runs
        self._claimed: deque[tuple[queue.Row, float]] = deque()  # not started: (row, when)
        self._lock = threading.Lock()
        self._batch = config.claim_batch  # halves to 1 when claimed tasks sat unstarted
        self.completed = 0

    # --- one task ---------------------------------------------------------
    def work_once(self) -> bool:
        """Take one claimed task (claiming more if none is left) and run it here.

        False when none was ready, or the worker is stopping.
        """
        row = self._take()
        if row is None:
            return False
        try:
            with self._turns:
                self._run(row)
        finally:
            with self._lock:
                self._in_hand.pop(threading.get_ident(), None)
                self.completed += 1
        return True

    def _take(self) -> queue.Row | None:
        me = threading.get_ident()
        with self._lock:
            if self.stopping.is_set():
                return None
            if self._claimed:
                self._in_hand[me] = self._claimed.popleft()[0]
                return self._in_hand[me]
            limit, self._batch = self._batch, min(self.config.claim_batch, self._batch * 2)
        rows = queue.claim_batch(
            worker_id=self.worker_id,
            queues=self.config.queues,
            backend_name=self.config.backend_name,
            limit=limit,
        )
        if not rows:
            return None
        now = time.monotonic()
        with self._lock:
            if self.stopping.is_set():  # released by _shutdown
                self._claimed.extend((row, now) for row in rows)
                return None
            self._in_hand[me] = rows[0]
            self._claimed.extend((row, now) for row in rows[1:])
        if len(rows) > 1:
            self.wakeup.wake()  # idle threads can take the rest
        return rows[0]

    def release_unstarted(self, *, older_than_s: float = 0.0) -> int:
        """Give back claimed tasks no thread started for ``older_than_s``."""
        cutoff = time.monotonic() - older_than_s
        with self._lock:
            stale = [row for row, at in self._claimed if at <= cutoff]
            self._claimed = deque((row, at) for row, at in self._claimed if at > cutoff)
            if stale:  # tasks here are slow: claim one at a time, growing back after
                self._batch = 1
        released = sum(queue.release(row) for row in stale)
        if stale:
            logger.debug("worker %s: %d unstarted tasks released", self.worker_id, released)
        return released

    def _run(self, row: queue.Row) -> None:
        try:
            result = row.task_result
            task = result.task
        except (ImportError, SuspiciousOperation) as exc:
            logger.error("task %s: cannot load %s", row.id, row.task_path)
            queue.mark_failed(row, exc, retryable=False)
            return
        sender = type(task.get_backend())
        task_started.send(sender=sender, task_result=result)
        try:
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            queue.mark_succeeded(row, value)
        except Exception as exc:
            outcome = queue.mark_failed(row, exc)
            logger.warning("task %s (%s) raised %r: %s", row.id, row.task_path, exc, outcome)
        task_finished.send(sender=sender, task_result=row.task_result)

    # --- the process --------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            while not self.stopping.is_set():
                seen = self.wakeup.generation()
                try:
                    ran = self.work_once()
                except DatabaseError:
                    logger.exception("worker thread: database error; retrying")
                    connection.close()
                    self.stopping.wait(self.config.poll_interval_s)  # not cut short by NOTIFY
                    if self.config.batch:
                        return
                    continue
                if not ran:
                    if self.config.batch:
                        return
                    logger.debug("%s: idle", threading.current_thread().name)
                    self.wakeup.wait(seen, self.config.poll_interval_s)
        finally:
            connection.close()

    # --- the event log's consumers -------------------------------------------
    def consume_events_once(self) -> int:
        """Run the consumers that have work until they caught up; returns events read."""
        return consumers.drain(max_passes=50, everyone=self.config.batch)

    def _events_main(self) -> None:
        seen_latest = -1
        try:
            while not self.stopping.is_set():
                seen = self.events_wakeup.generation()
                try:
                    # One cheap look at the log's end before each pass, so an
                    # idle SQLite worker polls with a single indexed query.
                    latest = latest_event_id()
                    if latest != seen_latest:
                        # A moment's pause gathers the events of a burst into one pass.
                        self.stopping.wait(self.config.events_gather_s)
                        with self._turns:
                            self.consume_events_once()
                        seen_latest = latest
                except DatabaseError:
                    logger.exception("event consumers: database error; retrying")
                    connection.close()
                    seen_latest = -1
                    self.stopping.wait(self.config.poll_interval_s)
                    continue
                self.events_wakeup.wait(seen, self.config.events_poll_s)
        finally:
            connection.close()

    def _start_consumers(self) -> threading.Thread | None:
        if not self.config.consume_events or self.config.batch:
            return None
        thread = threading.Thread(target=self._events_main, name="jobs-events", daemon=True)
        thread.start()
        return thread

    def _on_notify(self, queue_name: str) -> None:
        if queue_name == "*" or "*" in self.config.queues or queue_name in self.config.queues:
            self.wakeup.wake()

    def _start_listener(self) -> None:
        """PostgreSQL: a thread that wakes idle task threads on NOTIFY."""
        alias = router.db_for_write(DBTaskResult)
        if self.config.batch or not self.config.listen or connections[alias].vendor != "postgresql":
            return
        threading.Thread(
            target=wakeup.listen,
            kwargs={
                "alias": alias,
                "stopping": self.stopping,
                "on_notify": self._on_notify,
                "on_event": self.events_wakeup.wake if self.config.consume_events else None,
                "check_every_s": self.config.heartbeat_s,
            },
            name="jobs-listen",
            daemon=True,
        ).start()

    def beat(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now},
            create_defaults={
                "seen_at": now,
                "started_at": now,
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "queues": ",".join(self.config.queues)[:255],
            },
        )

    def housekeeping(self) -> None:
        """Heartbeat, recovery of dead workers' tasks, due schedules."""
        self.beat()
        lease = datetime.timedelta(seconds=self.config.lease_s)
        now = timezone.now()
        live = set(
            WorkerHeartbeat.objects.filter(seen_at__gte=now - lease).values_list(
                "worker_id", flat=True
            )
        )
        requeued, failed = queue.recover_orphans(live_worker_ids=live, lease_s=self.config.lease_s)
        if requeued or failed:
            logger.warning(
                "recovered tasks of dead workers: %d requeued, %d failed", requeued, failed
            )
        WorkerHeartbeat.objects.filter(seen_at__lt=now - 2 * lease).delete()
        if self.config.run_schedules:
            for name in run_due_schedules(now):
                logger.info("recurring task %s enqueued", name)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        logger.info("worker %s: %s, stopping", self.worker_id, signal.strsignal(signum))
        self.stopping.set()

    def run(self) -> bool:
        """Run until SIGTERM/SIGINT (or, in batch mode, until the queue is empty).

        Returns False when the task threads died on their own (a bug or a
        database that stayed unreachable), so the process can exit non-zero
        and its supervisor notice.
        """
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            return self._run_until_stopped()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run_until_stopped(self) -> bool:
        logger.info(
            "worker %s: queues=%s concurrency=%d",
            self.worker_id,
            ",".join(self.config.queues),
            self.config.concurrency,
        )
        self.housekeeping()  # heartbeat first: nothing is claimed before we are "live"
        if self.config.batch and self.config.consume_events:
            self.consume_events_once()  # the jobs that events call for, then run them
        threads = [
            threading.Thread(target=self._thread_main, name=f"jobs-{i}", daemon=True)
            for i in range(self.config.concurrency)
        ]
        for thread in threads:
            thread.start()
        events_thread = self._start_consumers()
        self._start_listener()
        next_beat = time.monotonic() + self.config.heartbeat_s
        while not self.stopping.is_set() and any(t.is_alive() for t in threads):
            tick = min(self.config.poll_interval_s, self.config.heartbeat_s)
            self.stopping.wait(min(tick, 0.05) if self.config.batch else tick)
            if self.stopping.is_set():
                break
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.config.heartbeat_s
                    self.housekeeping()
                elif self.config.run_schedules:
                    run_due_schedules(timezone.now())
                if self._claimed:
                    self.release_unstarted(older_than_s=self.config.poll_interval_s)
            except DatabaseError:
                logger.exception("worker housekeeping: database error; retrying")
                connection.close()
        crashed = not self.stopping.is_set() and not self.config.batch
        self.stopping.set()
        self.wakeup.wake()
        self.events_wakeup.wake()
        if events_thread is not None:
            events_thread.join(timeout=self.config.grace_s)
        self._shutdown(threads)
        return not crashed

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        deadline = time.monotonic() + self.config.grace_s
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = list(self._in_hand.values())
        for row in left:
            released = queue.release(row)
            logger.warning("worker %s: task %s released=%s", self.worker_id, row.id, released)
        self.release_unstarted()
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        connection.close()
        logger.info("worker %s: stopped", self.worker_id)
        if left:
            # Threads still inside a task: end the process without waiting for them.
            logging.shutdown()
            os._exit(0)
