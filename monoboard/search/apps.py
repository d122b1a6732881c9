from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "monoboard.search"
    label = "search"

    def ready(self) -> None:
        from monoboard.search import checks, sync  # noqa: F401  (checks register themselves)

        sync.connect()
