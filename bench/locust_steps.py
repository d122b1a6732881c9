"""The realistic mix under a load that steps up and down (Locust ``LoadTestShape``).

Used by ``bench/scaling_history.py`` to give the product a recorded history
whose load rises and falls within a few minutes; ``STEPS_USERS`` (comma-separated
user counts) and ``STEPS_SECONDS`` (seconds per step) set the steps.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

from bench.locustfile import Member, Visitor

__all__ = ["Member", "StepLoad", "Visitor"]

USERS = [int(u) for u in os.environ.get("STEPS_USERS", "2,8,20,8,25,4").split(",") if u.strip()]
STEP_S = float(os.environ.get("STEPS_SECONDS", "90"))


class StepLoad(LoadTestShape):
    """Each step holds its user count for ``STEP_S`` seconds; then the run stops."""

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_S)  # type: ignore[no-untyped-call]
        if step >= len(USERS):
            return None
        return USERS[step], float(max(USERS))
