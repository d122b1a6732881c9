"""The trivial task bench/jobs_throughput.py pushes through the queue."""

from __future__ import annotations

from django.tasks import task


@task
def trivial(n: int) -> int:
    return n + 1
