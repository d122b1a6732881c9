from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The layer below the apps: the durable event log and the role predicates."""

    name = "monoboard.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        post_migrate.connect(_start_new_consumers, sender=self)


def _start_new_consumers(using: str = "default", **kwargs: Any) -> None:
    from monoboard.core.consumers import start_new_consumers

    start_new_consumers(using=using)
