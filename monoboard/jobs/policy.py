"""Retry policy per task: how many attempts, and how long to wait between them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.tasks import Task


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay_s: float
    max_delay_s: float


_policies: dict[str, RetryPolicy] = {}


def default_policy() -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.JOBS_MAX_ATTEMPTS,
        base_delay_s=settings.JOBS_RETRY_BASE_DELAY_S,
        max_delay_s=settings.JOBS_RETRY_MAX_DELAY_S,
    )


def retry_policy(
    *,
    max_attempts: int | None = None,
    base_delay_s: float | None = None,
    max_delay_s: float | None = None,
) -> Callable[[Task[..., Any]], Task[..., Any]]:
    """Decorate a task (above ``@task``) to override the default retry policy.

    ``max_attempts=1`` means never retry.
    """

    def decorate(task: Task[..., Any]) -> Task[..., Any]:
        default = default_policy()
        _policies[task.module_path] = RetryPolicy(
            max_attempts=max(1, max_attempts or default.max_attempts),
            base_delay_s=default.base_delay_s if base_delay_s is None else base_delay_s,
            max_delay_s=default.max_delay_s if max_delay_s is None else max_delay_s,
        )
        return task

    return decorate


def policy_for(task_path: str) -> RetryPolicy:
    return _policies.get(task_path) or default_policy()


def backoff_delay(
    attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Exponential (base * 2**(attempt-1), capped at max_delay) with "equal
    jitter": the wait is between half and all of that, so workers that failed
    together do not all come back at the same instant.
    """
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return float(ceiling / 2 + rand() * ceiling / 2)
