from datetime import timedelta

from django.apps import AppConfig


class ChangelogConfig(AppConfig):
    name = "monoboard.changelog"
    label = "changelog"

    def ready(self) -> None:
        from monoboard.changelog import subscribers  # registers its consumer

        del subscribers

        from monoboard.changelog.tasks import prune_images
        from monoboard.jobs import recurring

        recurring.register("changelog.prune_images", prune_images, every=timedelta(hours=1))
