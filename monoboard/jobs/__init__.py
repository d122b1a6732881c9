"""Durable background jobs on Django's ``django.tasks`` API.

Define a task with ``@django.tasks.task`` in your app's ``tasks.py`` and queue
it from a service with :func:`enqueue_on_commit`. The worker
(``manage.py runworker``) adds what the database backend lacks: retries with
backoff (:func:`retry_policy`), recovery of tasks whose worker died, and
recurring schedules (:func:`monoboard.jobs.recurring.register`).

Every task must be idempotent: it may run more than once (a retry after a
partial failure, a worker killed mid-task). See docs/jobs.md.
"""

from __future__ import annotations

from monoboard.jobs.enqueue import enqueue_many_on_commit, enqueue_on_commit
from monoboard.jobs.policy import RetryPolicy, retry_policy

__all__ = ["RetryPolicy", "enqueue_many_on_commit", "enqueue_on_commit", "retry_policy"]
