"""Recurring jobs that keep the product's own figures."""

from __future__ import annotations

from django.tasks import task

from monoboard.ops import sampling


@task()
def sample_system() -> int:
    """Record this minute's CPU, memory and connection figures. Idempotent enough:
    a second sample in the same minute is averaged in by readers."""
    return sampling.take_sample().pk


@task()
def prune_metrics() -> int:
    """Drop rollups, samples and slow queries older than 30 days."""
    return sampling.prune()
