"""A cheap Argon2 for tests: the same algorithm and hash format, far less memory
and time per hash, so persona set-up does not dominate the test run."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
