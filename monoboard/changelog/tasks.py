"""Jobs (django.tasks): scheduled publication, the announcement, image clean-up."""

from __future__ import annotations

from django.tasks import task

from monoboard.changelog import announce, services


@task()
def publish_scheduled(entry_id: int) -> bool:
    """Publish a scheduled entry at its time. A rerun (a crashed worker's job
    recovered) or a job for a moved schedule publishes nothing twice."""
    return services.entry_publish_due(entry_id=entry_id)


@task()
def announce_entry(entry_id: int, actor_id: int | None) -> int:
    """Tell the followers of an entry's posts, once each."""
    return announce.announce(entry_id, actor_id)


@task()
def purge_images(image_ids: list[int]) -> int:
    return services.images_purge(image_ids=image_ids)


@task()
def prune_images() -> dict[str, int]:
    """Hourly: detached images and stored files with no row (docs/changelog.md)."""
    return services.images_prune()
