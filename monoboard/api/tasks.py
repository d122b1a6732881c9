"""The API's housekeeping job."""

from __future__ import annotations

from django.tasks import task

from monoboard.api import idempotency


@task()
def prune_idempotency_records() -> int:
    """Delete Idempotency-Key records past their retention window (idempotent)."""
    return idempotency.prune()


@task()
def prune_refresh_tokens() -> int:
    """Delete expired refresh tokens (idempotent)."""
    from monoboard.accounts.credentials import prune_refresh_tokens as prune

    return prune()
