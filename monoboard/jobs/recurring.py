"""Recurring tasks: a registry filled from AppConfig.ready(), run by the worker.

Time is cut into fixed periods of ``every`` since the Unix epoch. A worker that
sees a schedule whose current period has not been claimed claims it with a
conditional UPDATE on the schedule's row and enqueues the task in the same
transaction, so across any number of workers each period runs at most once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.tasks import Task


@dataclass(frozen=True)
class Recurring:
    name: str
    task: Task[..., Any]
    every: datetime.timedelta


_registry: dict[str, Recurring] = {}


def register(name: str, task: Task[..., Any], every: datetime.timedelta) -> None:
    """Run ``task`` (with no arguments) once every ``every``.

    Call from your app's ``AppConfig.ready()``. ``name`` identifies the
    schedule in the database (e.g. ``"notifications.digest"``); registering the
    same name again replaces the earlier entry.
    """
    if every.total_seconds() < 1:
        raise ValueError("a recurring task runs at most once a second")
    _registry[name] = Recurring(name=name, task=task, every=every)


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[Recurring]:
    return sorted(_registry.values(), key=lambda r: r.name)
