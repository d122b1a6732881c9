"""The worker process: task threads, a heartbeat, recovery and schedules.

Task threads each claim and run one task at a time. The main thread beats the
heartbeat (so a long task never looks dead), puts back tasks of dead workers,
enqueues due recurring tasks and handles SIGTERM/SIGINT: stop claiming, wait
up to the grace period for tasks in hand, release any still running back to
the queue, then exit.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, connection
from django.tasks import TaskContext
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string

from monoboard.jobs import queue
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

    @classmethod
    def from_settings(cls, **overrides: object) -> WorkerConfig:
        values: dict[str, object] = {
            "queues": ["*"],
            "concurrency": settings.JOBS_CONCURRENCY,
            "poll_interval_s": settings.JOBS_POLL_INTERVAL_S,
            "heartbeat_s": settings.JOBS_HEARTBEAT_S,
            "lease_s": settings.JOBS_LEASE_S,
            "grace_s": settings.JOBS_SHUTDOWN_GRACE_S,
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
        self._in_hand: dict[int, queue.Row] = {}
        self._lock = threading.Lock()
        self.completed = 0

    # --- one task ---------------------------------------------------------
    def work_once(self) -> bool:
        """Claim and run one task in this thread; False when none was ready."""
        row = queue.claim_next(
            worker_id=self.worker_id,
            queues=self.config.queues,
            backend_name=self.config.backend_name,
        )
        if row is None:
            return False
        self.execute(row)
        return True

    def execute(self, row: queue.Row) -> None:
        me = threading.get_ident()
        with self._lock:
            self._in_hand[me] = row
        try:
            self._run(row)
        finally:
            with self._lock:
                self._in_hand.pop(me, None)
                self.completed += 1

    def _run(self, row: queue.Row) -> None:
        try:
            task = row.task
            result = row.task_result
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
                try:
                    ran = self.work_once()
                except DatabaseError:
                    logger.exception("worker thread: database error; retrying")
                    connection.close()
                    ran = False
                    self.stopping.wait(self.config.poll_interval_s)
                if not ran:
                    if self.config.batch:
                        return
                    self.stopping.wait(self.config.poll_interval_s)
        finally:
            connection.close()

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
        threads = [
            threading.Thread(target=self._thread_main, name=f"jobs-{i}", daemon=True)
            for i in range(self.config.concurrency)
        ]
        for thread in threads:
            thread.start()
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
            except DatabaseError:
                logger.exception("worker housekeeping: database error; retrying")
                connection.close()
        crashed = not self.stopping.is_set() and not self.config.batch
        self.stopping.set()
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
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        connection.close()
        logger.info("worker %s: stopped", self.worker_id)
        if left:
            # Threads still inside a task: end the process without waiting for them.
            logging.shutdown()
            os._exit(0)
