from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "monoboard.search"
    label = "search"

    def ready(self) -> None:
        # Imported for their registrations: system checks and the index consumer.
        from monoboard.search import checks, sync  # noqa: F401
