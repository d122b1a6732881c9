from django.apps import AppConfig


class ChangelogConfig(AppConfig):
    name = "monoboard.changelog"
    label = "changelog"

    def ready(self) -> None:
        from monoboard.changelog import subscribers  # registers its consumer

        del subscribers
