from datetime import timedelta

from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "monoboard.boards"
    label = "boards"

    def ready(self) -> None:
        from monoboard.boards.tasks import prune_attachments
        from monoboard.jobs import recurring

        recurring.register("boards.prune_attachments", prune_attachments, timedelta(hours=1))
