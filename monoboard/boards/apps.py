from datetime import timedelta
from typing import Any

from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "monoboard.boards"
    label = "boards"

    def ready(self) -> None:
        """The attachment cleanup's schedule, and cache-aside kept honest.

        Any save of a cached model makes its cache-aside scope stale.
        Services already do this through their domain events; this also
        covers writes that bypass them (the Django admin, fixtures, shell).
        It is cache bookkeeping, never a rule of the product.
        """
        from monoboard.boards.tasks import prune_attachments
        from monoboard.jobs import recurring

        recurring.register("boards.prune_attachments", prune_attachments, timedelta(hours=1))

        from django.db.models.signals import post_delete, post_save

        from monoboard.boards.models import Board, SiteSettings, Status, Tag
        from monoboard.lib import cacheaside

        for model, scope in (
            (Board, "boards"),
            (Status, "catalog"),
            (Tag, "catalog"),
            (SiteSettings, "site"),
        ):

            def stale(sender: Any, *, using: str, scope: str = scope, **kwargs: Any) -> None:
                cacheaside.bump_in_transaction(scope, using=using)

            post_save.connect(
                stale, sender=model, weak=False, dispatch_uid=f"aside-{scope}-{model}"
            )
            post_delete.connect(
                stale, sender=model, weak=False, dispatch_uid=f"aside-del-{scope}-{model}"
            )
