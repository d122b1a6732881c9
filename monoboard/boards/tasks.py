"""Background work for attachments, run by the jobs worker."""

from __future__ import annotations

from django.tasks import task

from monoboard.boards import services


@task
def make_thumbnail(attachment_id: int) -> bool:
    """Queued with each new attachment; until it has run, pages scale the full image."""
    return services.attachment_store_thumbnail(attachment_id=attachment_id)


@task
def purge_attachments(attachment_ids: list[int]) -> int:
    """Queued when attachments are detached (image, comment or post deleted)."""
    return services.attachments_purge(attachment_ids=attachment_ids)


@task
def prune_attachments() -> dict[str, int]:
    """Recurring: remove detached attachments and stored files that have no row."""
    return services.attachments_prune()
