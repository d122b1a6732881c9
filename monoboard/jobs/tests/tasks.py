"""Tasks the jobs tests enqueue (module-level, as django.tasks requires)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.tasks import task

from monoboard.boards.models import Board
from monoboard.jobs import retry_policy


@task
def add(a: int, b: int) -> int:
    return a + b


@retry_policy(max_attempts=3, base_delay_s=0.0, max_delay_s=0.0)
@task
def always_fails(message: str) -> None:
    raise RuntimeError(message)


@retry_policy(max_attempts=4, base_delay_s=10.0, max_delay_s=25.0)
@task
def fails_with_backoff() -> None:
    raise RuntimeError("try later")


@task
def noop() -> None:
    return None


@task
def wait_for_flag(flag: str, started: str, slug: str, timeout_s: float = 20.0) -> str:
    """Note each start, wait for ``flag`` to exist, then write a Board row.

    The Board slug is made unique per run on purpose: if the task completed
    twice, the test would find two rows.
    """
    with Path(started).open("a") as log:
        log.write("started\n")
    deadline = time.monotonic() + timeout_s
    while not Path(flag).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("flag never appeared")
        time.sleep(0.05)
    board = Board.objects.create(name=slug, slug=f"{slug}-{uuid.uuid4().hex[:8]}")
    return board.slug
