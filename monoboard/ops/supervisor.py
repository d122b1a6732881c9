"""Keep ``manage.py serve``'s child processes running.

A child that exits while the supervisor is not stopping is started again after
a delay that doubles with each recent crash (``backoff_s``, capped at
``backoff_max_s``). A child that crashes ``give_up_crashes`` times within
``give_up_window_s`` is crash-looping (a broken configuration, a database
that refuses every connection...): restarting it forever would hide that, so
the supervisor stops everything and ``run()`` returns 1 after one clear log
line. A child that exits takes its process group with it (a killed granian
leaves no worker behind). SIGINT/SIGTERM stop every child (SIGTERM, then SIGKILL of its process
group after ``stop_timeout_s``) and ``run()`` returns 0. Children get SIGTERM
if the supervisor itself is killed. ``tick``, when given, is called every
``tick_every_s`` between passes (an app instance without a jobs worker takes
its box's system sample there); its failures are logged, never fatal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType

from monoboard.lib.children import stop_with_parent

GIVE_UP_CRASHES = 5
GIVE_UP_WINDOW_S = 60.0
BACKOFF_S = 0.5
BACKOFF_MAX_S = 30.0
STOP_TIMEOUT_S = 15.0
POLL_S = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    crashes: deque[float] = field(default_factory=deque)
    restarts: int = 0


@dataclass
class Supervisor:
    commands: Mapping[str, list[str]]
    env: Mapping[str, str]
    log: Callable[[str], None]
    backoff_s: float = BACKOFF_S
    backoff_max_s: float = BACKOFF_MAX_S
    give_up_crashes: int = GIVE_UP_CRASHES
    give_up_window_s: float = GIVE_UP_WINDOW_S
    stop_timeout_s: float = STOP_TIMEOUT_S
    poll_s: float = POLL_S
    tick: Callable[[], None] | None = None
    tick_every_s: float = 60.0
    children: dict[str, Child] = field(default_factory=dict)
    _stopping: bool = False
    _next_tick: float = 0.0

    def start(self) -> None:
        for name, argv in self.commands.items():
            child = Child(name, list(argv))
            self.children[name] = child
            self._spawn(child)

    def stop_soon(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self._stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop_soon)
        signal.signal(signal.SIGINT, self.stop_soon)

    def run(self) -> int:
        """Supervise until a stop signal (0) or a crash loop (1); stops every child."""
        if not self.children:
            self.start()
        try:
            while not self._stopping:
                if self.check() is not None:
                    return 1
                self._maybe_tick()
                time.sleep(self.poll_s)
            return 0
        finally:
            self.stop_all()

    def _maybe_tick(self) -> None:
        if self.tick is None or time.monotonic() < self._next_tick:
            return
        self._next_tick = time.monotonic() + self.tick_every_s
        try:
            self.tick()
        except Exception as exc:  # a figure missed must not stop serving
            self.log(f"serve: {getattr(self.tick, '__name__', 'tick')} failed: {exc}")

    def check(self) -> str | None:
        """One supervision pass; the name of a crash-looping child, if any."""
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_at is not None:
                if now >= child.restart_at and not self._stopping:
                    self._spawn(child)
                continue
            if child.process is None or child.process.poll() is None:
                continue
            code = child.process.returncode
            lived = now - child.started_at
            # What the dead child started (granian's workers) must not keep
            # running, and serving, without it: end its whole process group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.crashes.append(now)
            while child.crashes and now - child.crashes[0] > self.give_up_window_s:
                child.crashes.popleft()
            if len(child.crashes) >= self.give_up_crashes:
                self.log(
                    f"serve: giving up: {child.name} exited {len(child.crashes)} times within "
                    f"{self.give_up_window_s:.0f} s (last exit status {code}); stopping everything"
                )
                return child.name
            delay = min(self.backoff_max_s, self.backoff_s * 2 ** (len(child.crashes) - 1))
            self.log(
                f"serve: {child.name} (pid {child.process.pid}) exited with status {code} "
                f"after {lived:.1f} s; restarting in {delay:.1f} s"
            )
            child.restart_at = now + delay
        return None

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603  (argv built by serve from settings)
            child.argv, env=dict(self.env), start_new_session=True, preexec_fn=stop_with_parent
        )
        if child.started_at:
            child.restarts += 1
            self.log(f"serve: {child.name} restarted (pid {child.process.pid})")
        child.started_at = time.monotonic()
        child.restart_at = None

    def stop_all(self) -> None:
        running = [
            c.process for c in self.children.values() if c.process and c.process.poll() is None
        ]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
